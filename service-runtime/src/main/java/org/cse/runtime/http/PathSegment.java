package org.cse.runtime.http;

import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding of one path segment for an outgoing request: everything but RFC 3986's unreserved
 * characters is encoded, and a segment of dots is encoded whole, so that no value (an account id of
 * {@code ..}, say) can ever change which resource a request goes to.
 */
public final class PathSegment {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PathSegment() {
    }

    public static String encode(String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("an empty path segment");
        }
        boolean onlyDots = value.chars().allMatch(c -> c == '.');
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '~' || (c == '.' && !onlyDots);
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }
}
