package org.cse.runtime;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads typed configuration from environment variables (or a map standing in for them, in tests and
 * the local run). Every read is recorded so a service can log its effective config, secrets redacted;
 * every bad value fails fast with the variable's name.
 */
public final class Env {
    private final Map<String, String> source;
    private final Map<String, String> effective = new TreeMap<>();

    public Env(Map<String, String> source) {
        this.source = Map.copyOf(Objects.requireNonNull(source));
    }

    public static Env system() {
        return new Env(System.getenv());
    }

    /** The raw source: used to forward {@code KAFKA_*} overrides to the clients. */
    public Map<String, String> source() {
        return source;
    }

    public String required(String name) {
        String value = source.get(name);
        if (value == null || value.isBlank()) {
            throw new ConfigException("missing required environment variable " + name);
        }
        return record(name, value.trim());
    }

    public String string(String name, String defaultValue) {
        String value = source.get(name);
        return record(name, value == null || value.isBlank() ? defaultValue : value.trim());
    }

    public String secret(String name, String defaultValue) {
        String value = string(name, defaultValue);
        effective.put(name, value == null || value.isEmpty() ? "" : "****");
        return value;
    }

    public int integer(String name, int defaultValue, int min, int max) {
        int value = parse(name, String.valueOf(defaultValue), Integer::parseInt, "a whole number");
        if (value < min || value > max) {
            throw new ConfigException("environment variable " + name + "=" + value + " is out of range [" + min + ", " + max + "]");
        }
        return value;
    }

    public double decimal(String name, double defaultValue, double min, double max) {
        double value = parse(name, String.valueOf(defaultValue), Double::parseDouble, "a number");
        if (value < min || value > max) {
            throw new ConfigException("environment variable " + name + "=" + value + " is out of range [" + min + ", " + max + "]");
        }
        return value;
    }

    /** A duration in ISO-8601 ({@code PT5S}) or as milliseconds ({@code 5000}). */
    public Duration duration(String name, Duration defaultValue) {
        return parse(name, defaultValue.toString(), text -> text.chars().allMatch(Character::isDigit)
                ? Duration.ofMillis(Long.parseLong(text)) : Duration.parse(text), "a duration like PT5S or milliseconds");
    }

    public URI url(String name, String defaultValue) {
        URI uri = parse(name, defaultValue, URI::create, "a URL");
        if (uri == null || uri.getScheme() == null || uri.getHost() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new ConfigException("environment variable " + name + "=" + uri + " is not an http(s) URL");
        }
        return uri;
    }

    public boolean bool(String name, boolean defaultValue) {
        String text = string(name, Boolean.toString(defaultValue));
        if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
            throw new ConfigException("environment variable " + name + "=" + text + " is not true or false");
        }
        return Boolean.parseBoolean(text);
    }

    /** The values read so far, secrets shown as ****: safe to log. */
    public Map<String, String> effective() {
        return Map.copyOf(effective);
    }

    private <T> T parse(String name, String defaultValue, Function<String, T> parser, String expected) {
        String text = string(name, defaultValue);
        if (text == null) {
            throw new ConfigException("missing required environment variable " + name);
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ConfigException("environment variable " + name + "=" + text + " is not " + expected);
        }
    }

    private String record(String name, String value) {
        effective.put(name, value == null ? "" : value);
        return value;
    }
}
