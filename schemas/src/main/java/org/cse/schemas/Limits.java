package org.cse.schemas;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bounds every input is held to, in one place: intake refuses what exceeds them (HTTP 400 or a
 * dead letter naming the field and the limit), the classifier re-checks records that reach it by
 * other ways, and the README's limits table is checked against these constants. The bounds keep
 * every record and every per-account state well under the topics' {@link Topics#MAX_MESSAGE_BYTES}.
 */
public final class Limits {
    /** Account, report, reporter, list, verdict, appeal, event and decision ids. */
    public static final int MAX_ID_CHARS = 128;
    /** Ids: ASCII letters and digits first, then letters, digits and {@code . _ : @ -}. Never {@code .} or {@code ..}. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    public static final String ID_RULE = "1-128 characters from A-Z a-z 0-9 . _ : @ -, starting with a letter or digit";
    /** Content ids are the platform's: the same characters, longer. */
    public static final int MAX_CONTENT_ID_CHARS = 200;
    public static final Pattern CONTENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}");
    public static final String CONTENT_ID_RULE = "1-200 characters from A-Z a-z 0-9 . _ : @ / -, starting with a letter or digit";
    public static final int MAX_CONTENT_ITEMS = 50;
    public static final int MAX_HASHES_PER_ITEM = 4;
    public static final int MAX_THIRD_PARTY_URLS = 50;
    public static final int MAX_URL_CHARS = 2048;
    public static final int MAX_FILE_NAME_CHARS = 255;
    public static final int MAX_DESCRIPTION_CHARS = 20_000;
    public static final int MAX_HOSTING_ISP_CHARS = 256;
    public static final int MAX_IDENTIFIERS = 20;
    public static final int MAX_IDENTIFIER_HASH_CHARS = 128;
    /** Earliest accepted timestamp: nothing on the platform predates it. */
    public static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    /** How far in the future a timestamp may be (clock skew between services). */
    public static final long MAX_FUTURE_SECONDS = 300;

    /** Hash algorithms accepted, and the length of their lowercase hex form. */
    public static final Map<String, Integer> HASH_HEX_LENGTHS = Map.of("MD5", 32, "SHA1", 40, "SHA256", 64, "PDQ", 64,
            "PHOTODNA", 288);
    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");
    private static final Pattern ASN = Pattern.compile("(AS)?[0-9]{1,10}");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])");
    private static final Pattern INSTANT = Pattern.compile(
            "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])");
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    private Limits() {
    }

    public static boolean isId(String value) {
        return value != null && ID.matcher(value).matches();
    }

    public static boolean isContentId(String value) {
        return value != null && CONTENT_ID.matcher(value).matches();
    }

    /** An ISO 3166-1 alpha-2 code in use (Java's list), in capitals. */
    public static boolean isCountry(String value) {
        return value != null && COUNTRIES.contains(value);
    }

    public static boolean isAsn(String value) {
        return value != null && ASN.matcher(value).matches();
    }

    /** An IPv4 or IPv6 literal; never a host name (no DNS lookup is ever made). */
    public static boolean isIpLiteral(String value) {
        if (value == null || value.length() > 45) {
            return false;
        }
        if (IPV4.matcher(value).matches()) {
            return true;
        }
        if (value.indexOf(':') < 0 || !value.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            return false;
        }
        try {
            // with a ':' in it, the JDK parses the text as an IPv6 literal and never asks DNS
            InetAddress.getByName(value);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Null if the hash is of a known algorithm in the right hex form, else what is wrong. */
    public static String hashProblem(String algorithm, String value) {
        Integer length = HASH_HEX_LENGTHS.get(algorithm);
        if (length == null) {
            return "algorithm must be one of " + new java.util.TreeSet<>(HASH_HEX_LENGTHS.keySet());
        }
        if (value == null || value.length() != length || !HEX.matcher(value).matches()) {
            return "a " + algorithm + " hash is " + length + " lowercase hex digits";
        }
        return null;
    }

    /**
     * Null if the text is fit to store and to write into XML, else what is wrong: no control characters
     * (tab, line feed and carriage return only where {@code multiline}), no unpaired surrogate, no
     * noncharacter U+FFFE/U+FFFF.
     */
    public static String textProblem(String value, boolean multiline) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "holds an unpaired surrogate";
            }
            if (Character.isLowSurrogate(c)) {
                return "holds an unpaired surrogate";
            }
            if (c == '\uFFFE' || c == '\uFFFF') {
                return "holds a noncharacter (U+FFFE/U+FFFF)";
            }
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
            if (control && !(multiline && (c == '\t' || c == '\n' || c == '\r'))) {
                return "holds a control character (U+" + String.format("%04X", (int) c) + ")";
            }
        }
        return null;
    }

    /** Null if a URL is one token of printable characters within the length limit, else what is wrong. */
    public static String urlProblem(String value) {
        if (value.length() > MAX_URL_CHARS) {
            return "is longer than " + MAX_URL_CHARS + " characters";
        }
        String text = textProblem(value, false);
        if (text != null) {
            return text;
        }
        if (value.chars().anyMatch(Character::isWhitespace) || value.contains("\u00a0")) {
            return "holds whitespace";
        }
        return null;
    }

    /**
     * Parses an ISO-8601 instant in its strict form (no hour 24, no year 0000) within the accepted
     * window, or returns null if it is not one.
     */
    public static Instant parseInstant(String text, Instant now) {
        if (text == null || !INSTANT.matcher(text).matches()) {
            return null;
        }
        try {
            Instant instant = OffsetDateTime.parse(text).toInstant();
            return isInWindow(instant, now) ? instant : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    public static boolean isInWindow(Instant instant, Instant now) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(now.plusSeconds(MAX_FUTURE_SECONDS));
    }

    public static String windowRule() {
        return "must be an ISO-8601 instant like 2026-11-25T10:15:30Z, not before " + EARLIEST + " and not in the future";
    }
}
