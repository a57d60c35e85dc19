package org.cse.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Times on the command line: an instant ({@code 2026-12-03T10:00:00Z}) or an age ({@code 90s}, {@code 15m}, {@code 1h}, {@code 2d}). */
final class Times {
    private static final Pattern AGE = Pattern.compile("(\\d{1,9})([smhd])");

    private Times() {
    }

    static Duration age(String text) {
        Matcher m = AGE.matcher(text.trim());
        if (!m.matches()) {
            throw new OpsFailure(OpsFailure.Exit.USAGE, "'" + text + "' is not an age like 90s, 15m, 1h or 2d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** An instant, or now minus an age. */
    static Instant instant(String text, Clock clock) {
        if (text == null) {
            return null;
        }
        if (AGE.matcher(text.trim()).matches()) {
            return clock.instant().minus(age(text));
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new OpsFailure(OpsFailure.Exit.USAGE, "'" + text + "' is neither an instant like 2026-12-03T10:00:00Z nor an age like 1h");
        }
    }

    /** An age for a person: 42s, 17m, 5h 3m, 2d 4h. */
    static String human(Duration age) {
        long s = Math.max(0, age.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86_400) {
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        }
        return s / 86_400 + "d " + s % 86_400 / 3600 + "h";
    }
}
