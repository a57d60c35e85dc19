package org.cse.intake;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cse.events.ReporterKind;
import org.cse.runtime.ConfigException;
import org.cse.runtime.YamlTree;
import org.cse.runtime.auth.BearerToken;
import org.cse.schemas.Limits;

/**
 * The publishers of reports ({@code INTAKE_PUBLISHERS_FILE}): who may send reports, with which
 * credential, asserting what. Validated like the policy file: an error names its line.
 *
 * <pre>
 * publishers:
 *   hash-matcher:                       # the publisher's id: its reports' sourceService, its Kafka principal
 *     tokens:                           # bearer tokens, as SHA-256; two while rotating
 *       - sha256: 9f86d081...
 *         notAfter: 2027-01-31T00:00:00Z
 *     clientCertificate: "CN=hash-matcher,O=Platform"   # optional: mTLS instead of a token
 *     reporterKinds: [HASH_MATCH, URL_MATCH]
 *     verifiedMatchLists: [ncmec-verified-hashes]       # lists its matches are verified against
 *     rateLimit: {perSecond: 500, confirmedPerMinute: 600}
 * </pre>
 */
public final class PublisherRegistry {
    static final int DEFAULT_PER_SECOND = 100;
    static final int DEFAULT_CONFIRMED_PER_MINUTE = 120;

    /**
     * What one publisher may do.
     *
     * @param id the publisher's id: the {@code sourceService} of its reports and its Kafka principal
     * @param tokens its bearer tokens (as digests)
     * @param clientCertificate the subject of its TLS client certificate, or null
     * @param reporterKinds the reporter kinds it may send
     * @param verifiedMatchLists the match lists it may report verified matches against
     * @param perSecond reports per second at most
     * @param confirmedPerMinute verified-match reports per minute at most: a stolen matcher credential
     *        must not become thousands of permanent suspensions
     */
    public record Publisher(String id, List<BearerToken> tokens, String clientCertificate, Set<ReporterKind> reporterKinds,
                            Set<String> verifiedMatchLists, int perSecond, int confirmedPerMinute) {}

    private final Map<String, Publisher> publishers;
    private final Clock clock;

    private PublisherRegistry(Map<String, Publisher> publishers, Clock clock) {
        this.publishers = publishers;
        this.clock = clock;
    }

    public static PublisherRegistry load(Path file, Clock clock) {
        try {
            return parse(Files.readAllBytes(file), file.toString(), clock);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the publisher registry: " + e.getMessage());
        }
    }

    public static PublisherRegistry parse(byte[] content, String source, Clock clock) {
        try (InputStream in = new ByteArrayInputStream(content)) {
            return parse(YamlTree.parse(in, source), clock);
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    private static PublisherRegistry parse(YamlTree.Node root, Clock clock) {
        Map<String, YamlTree.Node> top = root.map("the publisher registry");
        for (String key : top.keySet()) {
            if (!key.equals("publishers")) {
                throw root.keyError(key, "unknown field " + key + "; expected publishers");
            }
        }
        YamlTree.Node list = top.get("publishers");
        if (list == null) {
            throw root.error("missing required field publishers");
        }
        Map<String, Publisher> publishers = new LinkedHashMap<>();
        Map<String, String> subjects = new LinkedHashMap<>();
        for (Map.Entry<String, YamlTree.Node> entry : list.map("publishers").entrySet()) {
            String id = entry.getKey();
            if (!id.matches("[a-z0-9][a-z0-9-]{0,63}")) {
                throw list.keyError(id, "publisher id " + id + " must be 1-64 characters from a-z 0-9 - (it names a Kafka principal and topic)");
            }
            Publisher publisher = publisher(id, entry.getValue());
            if (publisher.clientCertificate() != null && subjects.put(publisher.clientCertificate(), id) != null) {
                throw entry.getValue().error("publisher " + id + ": client certificate " + publisher.clientCertificate()
                        + " is already " + subjects.get(publisher.clientCertificate()) + "'s");
            }
            publishers.put(id, publisher);
        }
        return new PublisherRegistry(Map.copyOf(publishers), clock);
    }

    private static Publisher publisher(String id, YamlTree.Node node) {
        String where = "publishers." + id;
        Map<String, YamlTree.Node> fields = node.map(where);
        for (String key : fields.keySet()) {
            if (!List.of("description", "tokens", "clientCertificate", "reporterKinds", "verifiedMatchLists", "rateLimit").contains(key)) {
                throw node.keyError(key, "unknown field " + key + " in " + where
                        + "; expected description, tokens, clientCertificate, reporterKinds, verifiedMatchLists, rateLimit");
            }
        }
        List<BearerToken> tokens = new ArrayList<>();
        YamlTree.Node tokenList = fields.get("tokens");
        if (tokenList != null) {
            for (YamlTree.Node token : tokenList.list(where + ".tokens")) {
                tokens.add(BearerToken.parse(token, where + ".tokens[]"));
            }
        }
        String certificate = fields.get("clientCertificate") == null ? null : fields.get("clientCertificate").text(where + ".clientCertificate");
        if (tokens.isEmpty() && certificate == null) {
            throw node.error(where + ": a publisher needs a token or a client certificate");
        }
        YamlTree.Node kindsNode = fields.get("reporterKinds");
        if (kindsNode == null) {
            throw node.error(where + ": missing required field reporterKinds");
        }
        Set<ReporterKind> kinds = EnumSet.noneOf(ReporterKind.class);
        for (YamlTree.Node kind : kindsNode.list(where + ".reporterKinds")) {
            try {
                kinds.add(ReporterKind.valueOf(kind.text(where + ".reporterKinds")));
            } catch (IllegalArgumentException e) {
                throw kind.error(where + ".reporterKinds: unknown reporter kind " + kind.value());
            }
        }
        List<String> lists = new ArrayList<>();
        YamlTree.Node listsNode = fields.get("verifiedMatchLists");
        if (listsNode != null) {
            for (YamlTree.Node name : listsNode.list(where + ".verifiedMatchLists")) {
                String list = name.text(where + ".verifiedMatchLists");
                if (!Limits.isId(list)) {
                    throw name.error(where + ".verifiedMatchLists: '" + list + "' must be " + Limits.ID_RULE);
                }
                lists.add(list);
            }
        }
        if (!lists.isEmpty() && !kinds.contains(ReporterKind.HASH_MATCH) && !kinds.contains(ReporterKind.URL_MATCH)) {
            throw listsNode.error(where + ": verifiedMatchLists without HASH_MATCH or URL_MATCH among reporterKinds");
        }
        int perSecond = DEFAULT_PER_SECOND;
        int confirmedPerMinute = DEFAULT_CONFIRMED_PER_MINUTE;
        YamlTree.Node rate = fields.get("rateLimit");
        if (rate != null) {
            Map<String, YamlTree.Node> limits = rate.map(where + ".rateLimit");
            for (Map.Entry<String, YamlTree.Node> limit : limits.entrySet()) {
                int value;
                try {
                    value = Integer.parseInt(limit.getValue().text(where + ".rateLimit." + limit.getKey()));
                } catch (NumberFormatException e) {
                    throw limit.getValue().error(where + ".rateLimit." + limit.getKey() + " must be a whole number");
                }
                if (value < 1 || value > 1_000_000) {
                    throw limit.getValue().error(where + ".rateLimit." + limit.getKey() + " must be between 1 and 1000000");
                }
                switch (limit.getKey()) {
                    case "perSecond" -> perSecond = value;
                    case "confirmedPerMinute" -> confirmedPerMinute = value;
                    default -> throw rate.keyError(limit.getKey(), "unknown field " + limit.getKey() + " in " + where
                            + ".rateLimit; expected perSecond, confirmedPerMinute");
                }
            }
        }
        return new Publisher(id, List.copyOf(tokens), certificate, Set.copyOf(kinds), Set.copyOf(lists), perSecond, confirmedPerMinute);
    }

    public Map<String, Publisher> publishers() {
        return publishers;
    }

    public Publisher byId(String id) {
        return publishers.get(id);
    }

    /**
     * The publisher a bearer token belongs to, or null (unknown, or past its notAfter). Every token of
     * every publisher is compared, each in constant time, so the answer's timing says nothing.
     */
    public Publisher byToken(String token) {
        byte[] digest = BearerToken.digest(token);
        Publisher found = null;
        for (Publisher publisher : publishers.values()) {
            for (BearerToken candidate : publisher.tokens()) {
                if (candidate.matches(digest, clock.instant())) {
                    found = publisher;
                }
            }
        }
        return found;
    }

    /** The publisher whose client certificate has this subject, or null. */
    public Publisher byCertificate(String subject) {
        if (subject == null) {
            return null;
        }
        return publishers.values().stream().filter(p -> subject.equals(p.clientCertificate())).findFirst().orElse(null);
    }
}
