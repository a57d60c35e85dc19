package org.cse.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cse.runtime.auth.BearerToken;

/**
 * The local run's and the tests' publishers and operators: a token made up for each, and the registry
 * files the services read, which hold only the tokens' SHA-256 (as production's do).
 *
 * <ul>
 *   <li>{@code hash-matcher}: the platform's hash and URL matching service, the one publisher that may
 *       report verified matches (against {@code ncmec-verified-hashes} and {@code iwf-url-list});</li>
 *   <li>{@code user-reports}: reports from users, people without an account and trusted flaggers;</li>
 *   <li>{@code ml-classifier}: the platform's ML classifier;</li>
 *   <li>{@code review-tool}: reviewers' reports;</li>
 *   <li>{@code partner-matcher}: a matcher allowed HASH_MATCH reports but no verified list (its matches
 *       are reviewed);</li>
 *   <li>operator {@code oncall}.</li>
 * </ul>
 */
public final class LocalCredentials {
    /** A publisher of the local set: its grants, in the registry file's words. */
    private record Grant(String id, List<String> kinds, List<String> verifiedLists, String rateLimit) {}

    public static final List<String> PUBLISHERS = List.of("hash-matcher", "user-reports", "ml-classifier", "review-tool", "partner-matcher");
    private static final List<Grant> GRANTS = List.of(
            // the bench sends verified matches by the thousand: limits far above production's defaults
            new Grant("hash-matcher", List.of("HASH_MATCH", "URL_MATCH"), List.of("ncmec-verified-hashes", "iwf-url-list"),
                    "{perSecond: 20000, confirmedPerMinute: 1000000}"),
            new Grant("user-reports", List.of("SIGNED_IN_USER", "NO_ACCOUNT", "TRUSTED_FLAGGER"), List.of(), "{perSecond: 20000}"),
            new Grant("ml-classifier", List.of("CLASSIFIER"), List.of(), null),
            new Grant("review-tool", List.of("REVIEWER"), List.of(), null),
            new Grant("partner-matcher", List.of("HASH_MATCH"), List.of(), null));

    private final Path publishersFile;
    private final Path operatorsFile;
    private final Map<String, String> tokens = new LinkedHashMap<>();
    private final String operatorToken = BearerToken.generate("op");

    private LocalCredentials(Path dir) {
        this.publishersFile = dir.resolve("publishers.yaml");
        this.operatorsFile = dir.resolve("operators.yaml");
        for (Grant grant : GRANTS) {
            tokens.put(grant.id(), BearerToken.generate(grant.id().replace('-', '_')));
        }
    }

    /** Makes up the tokens and writes both registry files into {@code dir}. */
    public static LocalCredentials create(Path dir) {
        LocalCredentials credentials = new LocalCredentials(dir);
        credentials.writePublishers(Map.of());
        credentials.write(credentials.operatorsFile, "# Operators of the local run (tokens are printed by ./run-local.sh)\n"
                + "operators:\n  oncall:\n    tokens:\n      - sha256: " + BearerToken.hexDigest(credentials.operatorToken) + "\n");
        return credentials;
    }

    /** The publisher registry file, with {@code extraTokens} (id → more token lines, e.g. a rotated-out one) added. */
    public void writePublishers(Map<String, List<String>> extraTokens) {
        writePublishers(extraTokens, "");
    }

    /** The same, with {@code morePublishers} (registry YAML, indented as entries of {@code publishers:}) appended. */
    public void writePublishers(Map<String, List<String>> extraTokens, String morePublishers) {
        StringBuilder yaml = new StringBuilder("# Publishers of the local run (tokens are printed by ./run-local.sh)\npublishers:\n");
        for (Grant grant : GRANTS) {
            yaml.append("  ").append(grant.id()).append(":\n    tokens:\n      - sha256: ")
                    .append(BearerToken.hexDigest(tokens.get(grant.id()))).append('\n');
            extraTokens.getOrDefault(grant.id(), List.of()).forEach(line -> yaml.append("      - ").append(line).append('\n'));
            yaml.append("    reporterKinds: ").append(grant.kinds()).append('\n');
            if (!grant.verifiedLists().isEmpty()) {
                yaml.append("    verifiedMatchLists: ").append(grant.verifiedLists()).append('\n');
            }
            if (grant.rateLimit() != null) {
                yaml.append("    rateLimit: ").append(grant.rateLimit()).append('\n');
            }
        }
        write(publishersFile, yaml + morePublishers);
    }

    private void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path publishersFile() {
        return publishersFile;
    }

    public Path operatorsFile() {
        return operatorsFile;
    }

    /** The bearer token of a local publisher. */
    public String token(String publisher) {
        String token = tokens.get(publisher);
        if (token == null) {
            throw new IllegalArgumentException("no local publisher " + publisher);
        }
        return token;
    }

    public String operatorToken() {
        return operatorToken;
    }
}
