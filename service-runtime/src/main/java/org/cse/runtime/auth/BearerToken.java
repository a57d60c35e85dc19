package org.cse.runtime.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Map;
import org.cse.runtime.YamlTree;

/**
 * A bearer token as a registry file holds it: only its SHA-256, never the token, and optionally the
 * instant after which it is refused (so a rotated-out token stops working on its own). Tokens are
 * long random strings, so a plain SHA-256 is enough to make a stolen file useless; comparison is in
 * constant time.
 *
 * @param sha256 the digest of the token's UTF-8 bytes
 * @param notAfter refused after this instant, or null
 */
public record BearerToken(byte[] sha256, Instant notAfter) {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Whether {@code presentedDigest} is this token's, and the token is still valid at {@code now}. Constant time in the digest. */
    public boolean matches(byte[] presentedDigest, Instant now) {
        boolean same = MessageDigest.isEqual(sha256, presentedDigest);
        return same && (notAfter == null || !now.isAfter(notAfter));
    }

    public static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The hex digest a registry file holds for {@code token}. */
    public static String hexDigest(String token) {
        return HexFormat.of().formatHex(digest(token));
    }

    /** A new random token (32 bytes, URL-safe text): for the local run and tests. */
    public static String generate(String prefix) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return prefix + "_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null. */
    public static String fromHeader(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() || token.length() > 512 ? null : token;
    }

    /** A {@code {sha256: <hex>, notAfter: <instant>}} entry of a registry file. */
    public static BearerToken parse(YamlTree.Node node, String where) {
        Map<String, YamlTree.Node> fields = node.map(where);
        for (String key : fields.keySet()) {
            if (!key.equals("sha256") && !key.equals("notAfter")) {
                throw node.keyError(key, "unknown field " + key + " in " + where + "; expected sha256, notAfter");
            }
        }
        YamlTree.Node digest = fields.get("sha256");
        if (digest == null) {
            throw node.error(where + ": missing required field sha256 (the SHA-256 of the token, in hex)");
        }
        String hex = digest.text(where + ".sha256");
        if (!hex.matches("[0-9a-f]{64}")) {
            throw digest.error(where + ".sha256 must be 64 lowercase hex digits (the SHA-256 of the token, never the token)");
        }
        Instant notAfter = null;
        YamlTree.Node expiry = fields.get("notAfter");
        if (expiry != null) {
            try {
                notAfter = Instant.parse(expiry.text(where + ".notAfter"));
            } catch (DateTimeParseException e) {
                throw expiry.error(where + ".notAfter must be an ISO-8601 instant like 2027-01-31T00:00:00Z");
            }
        }
        return new BearerToken(HexFormat.of().parseHex(hex), notAfter);
    }
}
