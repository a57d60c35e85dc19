package org.cse.runtime.http;

import java.util.Locale;

/**
 * What a route accepts as a request body: nothing, JSON only ({@code application/json}, optionally
 * with {@code charset=utf-8}), or anything, each up to a size limit. A body declared larger than the
 * limit is refused with 413 before a byte of it is read.
 *
 * @param maxBytes largest body read; 0 reads none
 * @param jsonOnly refuse any other media type with 415
 */
public record Body(int maxBytes, boolean jsonOnly) {
    public static final Body NONE = new Body(0, false);

    public static Body json(int maxBytes) {
        return new Body(maxBytes, true);
    }

    public static Body any(int maxBytes) {
        return new Body(maxBytes, false);
    }

    /** True for {@code application/json} alone or with a UTF-8 charset parameter; nothing else. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";", -1);
        if (!parts[0].trim().equalsIgnoreCase("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
            if (!parameter.equals("charset=utf-8") && !parameter.equals("charset=\"utf-8\"")) {
                return false;
            }
        }
        return true;
    }
}
