package org.cse.escalation;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.delivery.DeliverySettings;

/**
 * Configuration of the escalation service, from environment variables: the delivery settings with
 * prefix {@code ESCALATION_} (API port 8083, management port 9083, group {@code cse-escalation},
 * backoff PT0.5S to PT5M, retry budget PT24H, request timeout PT30S; see {@link DeliverySettings}) and:
 *
 * @param ncmecUrl {@code NCMEC_API_URL}: the CyberTipline API root, e.g. the test system's {@code .../ispws} (required)
 * @param ncmecUsername {@code NCMEC_USERNAME} (required)
 * @param ncmecPassword {@code NCMEC_PASSWORD} (required, secret)
 * @param reporter {@code NCMEC_REPORTER_FIRST_NAME}, {@code NCMEC_REPORTER_LAST_NAME}, {@code NCMEC_REPORTER_EMAIL}
 *        (required), {@code ESP_SERVICE_NAME} (default "Platform")
 * @param evidenceUrl {@code EVIDENCE_STORE_URL}: the platform's evidence store (files for NCMEC, preservation holds; required)
 * @param evidenceToken {@code EVIDENCE_STORE_TOKEN} (required, secret)
 * @param preservation {@code PRESERVATION_PERIOD} (default P365D): how long a finished report's content is held
 * @param hotlines {@code INHOPE_HOTLINES}: {@code CC=url;CC=url} member hotline endpoints by hosting country
 * @param defaultHotline {@code INHOPE_DEFAULT_HOTLINE_URL}: for countries without their own entry (optional)
 * @param hotlineToken {@code INHOPE_TOKEN} (secret)
 */
public record EscalationConfig(KafkaSettings kafka, DeliverySettings delivery, URI ncmecUrl, String ncmecUsername, String ncmecPassword,
                               CyberTiplineReport.Reporter reporter, URI evidenceUrl, String evidenceToken, Duration preservation,
                               Map<String, URI> hotlines, URI defaultHotline, String hotlineToken) {

    public static EscalationConfig from(Env env) {
        String password = env.secret("NCMEC_PASSWORD", null);
        if (password == null || password.isEmpty()) {
            throw new ConfigException("missing required environment variable NCMEC_PASSWORD");
        }
        String evidenceToken = env.secret("EVIDENCE_STORE_TOKEN", null);
        if (evidenceToken == null || evidenceToken.isEmpty()) {
            throw new ConfigException("missing required environment variable EVIDENCE_STORE_TOKEN");
        }
        String defaultHotline = env.string("INHOPE_DEFAULT_HOTLINE_URL", null);
        return new EscalationConfig(
                KafkaSettings.from(env),
                DeliverySettings.from(env, "ESCALATION", new DeliverySettings.Defaults(8083, 9083, "cse-escalation",
                        Duration.ofMillis(500), Duration.ofMinutes(5), Duration.ofHours(24), Duration.ofSeconds(30))),
                env.url("NCMEC_API_URL", null),
                env.required("NCMEC_USERNAME"),
                password,
                new CyberTiplineReport.Reporter(env.required("NCMEC_REPORTER_FIRST_NAME"), env.required("NCMEC_REPORTER_LAST_NAME"),
                        env.required("NCMEC_REPORTER_EMAIL"), env.string("ESP_SERVICE_NAME", "Platform")),
                env.url("EVIDENCE_STORE_URL", null),
                evidenceToken,
                env.duration("PRESERVATION_PERIOD", Duration.ofDays(365)),
                hotlines(env.string("INHOPE_HOTLINES", "")),
                defaultHotline == null ? null : env.url("INHOPE_DEFAULT_HOTLINE_URL", null),
                env.secret("INHOPE_TOKEN", ""));
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
