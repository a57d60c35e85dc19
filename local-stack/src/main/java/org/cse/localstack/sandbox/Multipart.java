package org.cse.localstack.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough multipart/form-data parsing for the sandbox's upload endpoint. */
final class Multipart {
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?");
    private static final Pattern NAME = Pattern.compile("name=\"([^\"]+)\"");

    private Multipart() {
    }

    static Map<String, byte[]> parse(String contentType, byte[] body) {
        Map<String, byte[]> parts = new HashMap<>();
        if (contentType == null) {
            return parts;
        }
        Matcher boundaryMatch = BOUNDARY.matcher(contentType);
        if (!boundaryMatch.find()) {
            return parts;
        }
        byte[] delimiter = ("--" + boundaryMatch.group(1)).getBytes(StandardCharsets.ISO_8859_1);
        int position = indexOf(body, delimiter, 0);
        while (position >= 0) {
            int headerStart = position + delimiter.length + 2;
            int next = indexOf(body, delimiter, headerStart);
            if (next < 0 || headerStart >= body.length) {
                break;
            }
            int headerEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headerStart);
            if (headerEnd < 0 || headerEnd > next) {
                break;
            }
            String headers = new String(body, headerStart, headerEnd - headerStart, StandardCharsets.ISO_8859_1);
            Matcher name = NAME.matcher(headers);
            if (name.find()) {
                parts.put(name.group(1), Arrays.copyOfRange(body, headerEnd + 4, next - 2));
            }
            position = next;
        }
        return parts;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
