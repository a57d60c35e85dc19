package org.cse.runtime.auth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cse.runtime.ConfigException;
import org.cse.runtime.YamlTree;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators who may look into the pipeline (account and delivery lookups), from a file like:
 *
 * <pre>
 * operators:
 *   alice:
 *     tokens:
 *       - sha256: 3a7bd3e2...   # SHA-256 of the bearer token
 *         notAfter: 2027-01-31T00:00:00Z
 * </pre>
 *
 * Operator credentials are separate from publishers': a publisher token never opens a lookup. Every
 * lookup is audited: the operator's name and what they looked at, never report content.
 */
public final class Operators {
    private static final Logger AUDIT = LoggerFactory.getLogger("audit");
    /** Attribute a guard sets to the authenticated operator's name. */
    public static final String OPERATOR = "operator";

    private final Map<String, List<BearerToken>> tokens;
    private final Clock clock;

    private Operators(Map<String, List<BearerToken>> tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    public static Operators load(Path file, Clock clock) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), clock);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the operators file: " + e.getMessage());
        }
    }

    public static Operators parse(InputStream in, String source, Clock clock) {
        YamlTree.Node root = YamlTree.parse(in, source);
        Map<String, YamlTree.Node> top = root.map("the operators file");
        for (String key : top.keySet()) {
            if (!key.equals("operators")) {
                throw root.keyError(key, "unknown field " + key + "; expected operators");
            }
        }
        YamlTree.Node list = top.get("operators");
        if (list == null) {
            throw root.error("missing required field operators");
        }
        Map<String, List<BearerToken>> tokens = new LinkedHashMap<>();
        for (Map.Entry<String, YamlTree.Node> entry : list.map("operators").entrySet()) {
            String name = entry.getKey();
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw list.keyError(name, "operator name " + name + " must be 1-64 characters from A-Z a-z 0-9 . _ -");
            }
            Map<String, YamlTree.Node> fields = entry.getValue().map("operators." + name);
            for (String key : fields.keySet()) {
                if (!key.equals("tokens")) {
                    throw entry.getValue().keyError(key, "unknown field " + key + " of operator " + name + "; expected tokens");
                }
            }
            YamlTree.Node tokenList = fields.get("tokens");
            if (tokenList == null || tokenList.list("operators." + name + ".tokens").isEmpty()) {
                throw entry.getValue().error("operator " + name + " needs at least one token");
            }
            List<BearerToken> parsed = new ArrayList<>();
            for (YamlTree.Node token : tokenList.list("operators." + name + ".tokens")) {
                parsed.add(BearerToken.parse(token, "operators." + name + ".tokens[]"));
            }
            tokens.put(name, List.copyOf(parsed));
        }
        return new Operators(Map.copyOf(tokens), clock);
    }

    /** The operator a bearer token belongs to, or null. Every operator's every token is compared, in constant time each. */
    public String authenticate(String authorization) {
        String token = BearerToken.fromHeader(authorization);
        if (token == null) {
            return null;
        }
        byte[] digest = BearerToken.digest(token);
        String found = null;
        for (Map.Entry<String, List<BearerToken>> operator : tokens.entrySet()) {
            for (BearerToken candidate : operator.getValue()) {
                if (candidate.matches(digest, clock.instant())) {
                    found = operator.getKey();
                }
            }
        }
        return found;
    }

    /** A route guard: 401 without a valid operator token; otherwise the operator's name in the call's attributes. */
    public HttpServer.Guard guard() {
        return (method, path, headers, remoteAddress, clientSubject, attributes) -> {
            String operator = authenticate(headers.get("Authorization"));
            if (operator == null) {
                return Reply.error(401, "UNAUTHENTICATED", "an operator's bearer token is required")
                        .withHeader("WWW-Authenticate", "Bearer realm=\"cse-operators\"");
            }
            attributes.put(OPERATOR, operator);
            return null;
        };
    }

    /** One audit line: who looked at what, from where. Ids only. */
    public static void audit(String operator, String action, String subject, String remoteAddress) {
        AUDIT.info("operator {} {} {} from {}", operator, action, subject, remoteAddress);
    }
}
