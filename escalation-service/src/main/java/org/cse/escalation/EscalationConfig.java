package org.cse.escalation;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;

/**
 * Configuration of the escalation service, from environment variables.
 *
 * @param managementHost {@code ESCALATION_MANAGEMENT_HOST} (default 0.0.0.0): health and metrics
 * @param managementPort {@code ESCALATION_MANAGEMENT_PORT} (default 9083; 0 picks a free port)
 * @param ncmecUrl {@code NCMEC_API_URL}: the CyberTipline API root, e.g. the test system's {@code .../ispws} (required)
 * @param ncmecUsername {@code NCMEC_USERNAME} (required)
 * @param ncmecPassword {@code NCMEC_PASSWORD} (required, secret)
 * @param requestTimeout {@code NCMEC_REQUEST_TIMEOUT} (default PT10S)
 * @param reporter {@code NCMEC_REPORTER_FIRST_NAME}, {@code NCMEC_REPORTER_LAST_NAME}, {@code NCMEC_REPORTER_EMAIL}
 *        (required), {@code ESP_SERVICE_NAME} (default "Platform")
 * @param hotlines {@code INHOPE_HOTLINES}: {@code CC=url;CC=url} member hotline endpoints by hosting country
 * @param defaultHotline {@code INHOPE_DEFAULT_HOTLINE_URL}: for countries without their own entry (optional)
 * @param hotlineToken {@code INHOPE_TOKEN} (secret)
 * @param maxAttempts {@code ESCALATION_MAX_ATTEMPTS}: calls per step before the step fails (default 6)
 * @param initialBackoff {@code ESCALATION_BACKOFF_INITIAL} (default PT0.5S)
 * @param maxBackoff {@code ESCALATION_BACKOFF_MAX} (default PT30S)
 * @param workers {@code ESCALATION_WORKERS}: partitions handled in parallel (default 6, the decisions topic's partitions)
 * @param groupId {@code ESCALATION_GROUP_ID} (default cse-escalation)
 * @param instanceId {@code ESCALATION_INSTANCE_ID}: part of the transactional id (default HOSTNAME)
 */
public record EscalationConfig(KafkaSettings kafka, String managementHost, int managementPort, URI ncmecUrl, String ncmecUsername,
                               String ncmecPassword, Duration requestTimeout, CyberTiplineReport.Reporter reporter,
                               Map<String, URI> hotlines, URI defaultHotline, String hotlineToken, int maxAttempts,
                               Duration initialBackoff, Duration maxBackoff, int workers, String groupId, String instanceId) {

    public static EscalationConfig from(Env env) {
        String password = env.secret("NCMEC_PASSWORD", null);
        if (password == null || password.isEmpty()) {
            throw new ConfigException("missing required environment variable NCMEC_PASSWORD");
        }
        String defaultHotline = env.string("INHOPE_DEFAULT_HOTLINE_URL", null);
        return new EscalationConfig(
                KafkaSettings.from(env),
                env.string("ESCALATION_MANAGEMENT_HOST", "0.0.0.0"),
                env.integer("ESCALATION_MANAGEMENT_PORT", 9083, 0, 65535),
                env.url("NCMEC_API_URL", null),
                env.required("NCMEC_USERNAME"),
                password,
                env.duration("NCMEC_REQUEST_TIMEOUT", Duration.ofSeconds(10)),
                new CyberTiplineReport.Reporter(env.required("NCMEC_REPORTER_FIRST_NAME"), env.required("NCMEC_REPORTER_LAST_NAME"),
                        env.required("NCMEC_REPORTER_EMAIL"), env.string("ESP_SERVICE_NAME", "Platform")),
                hotlines(env.string("INHOPE_HOTLINES", "")),
                defaultHotline == null ? null : env.url("INHOPE_DEFAULT_HOTLINE_URL", null),
                env.secret("INHOPE_TOKEN", ""),
                env.integer("ESCALATION_MAX_ATTEMPTS", 6, 1, 100),
                env.duration("ESCALATION_BACKOFF_INITIAL", Duration.ofMillis(500)),
                env.duration("ESCALATION_BACKOFF_MAX", Duration.ofSeconds(30)),
                env.integer("ESCALATION_WORKERS", 6, 1, 256),
                env.string("ESCALATION_GROUP_ID", "cse-escalation"),
                env.string("ESCALATION_INSTANCE_ID", env.string("HOSTNAME", "local")));
    }

    static Map<String, URI> hotlines(String text) {
        Map<String, URI> map = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return map;
        }
        for (String entry : text.split(";")) {
            String[] parts = entry.trim().split("=", 2);
            if (parts.length != 2 || !parts[0].trim().matches("[A-Z]{2}")) {
                throw new ConfigException("environment variable INHOPE_HOTLINES has an entry that is not CC=url: " + entry.trim());
            }
            try {
                map.put(parts[0].trim(), URI.create(parts[1].trim()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("environment variable INHOPE_HOTLINES has an invalid URL for " + parts[0].trim());
            }
        }
        return map;
    }
}
