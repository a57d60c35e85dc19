package org.cse.enforcement;

import java.net.URI;
import java.time.Duration;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.delivery.DeliverySettings;

/**
 * Configuration of the enforcement service, from environment variables: the delivery settings with
 * prefix {@code ENFORCEMENT_} (API port 8082, management port 9082, group {@code cse-enforcement},
 * backoff PT0.2S to PT1M, retry budget PT1H, request timeout PT5S; see {@link DeliverySettings}) and:
 *
 * @param platformUrl {@code PLATFORM_API_URL}: root of the platform's account-actions API (required)
 * @param platformToken {@code PLATFORM_API_TOKEN}: bearer token (required, secret)
 */
public record EnforcementConfig(KafkaSettings kafka, DeliverySettings delivery, URI platformUrl, String platformToken) {

    public static EnforcementConfig from(Env env) {
        String token = env.secret("PLATFORM_API_TOKEN", null);
        if (token == null || token.isBlank()) {
            throw new ConfigException("missing required environment variable PLATFORM_API_TOKEN");
        }
        return new EnforcementConfig(
                KafkaSettings.from(env),
                DeliverySettings.from(env, "ENFORCEMENT", new DeliverySettings.Defaults(8082, 9082, "cse-enforcement",
                        Duration.ofMillis(200), Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofSeconds(5))),
                env.url("PLATFORM_API_URL", null),
                token);
    }
}
