package org.cse.enforcement;

import java.net.URI;
import java.time.Duration;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;

/**
 * Configuration of the enforcement service, from environment variables.
 *
 * @param kafka broker, registry and client overrides
 * @param managementHost {@code ENFORCEMENT_MANAGEMENT_HOST} (default 0.0.0.0): health and metrics
 * @param managementPort {@code ENFORCEMENT_MANAGEMENT_PORT} (default 9082; 0 picks a free port)
 * @param platformUrl {@code PLATFORM_API_URL}: root of the platform's account-actions API (required)
 * @param platformToken {@code PLATFORM_API_TOKEN}: bearer token (required, secret)
 * @param requestTimeout {@code PLATFORM_REQUEST_TIMEOUT} (default PT5S)
 * @param maxAttempts {@code ENFORCEMENT_MAX_ATTEMPTS}: calls per action before FAILED (default 8)
 * @param initialBackoff {@code ENFORCEMENT_BACKOFF_INITIAL} (default PT0.2S)
 * @param maxBackoff {@code ENFORCEMENT_BACKOFF_MAX} (default PT10S)
 * @param workers {@code ENFORCEMENT_WORKERS}: partitions handled in parallel (default 6, the decisions topic's partitions)
 * @param groupId {@code ENFORCEMENT_GROUP_ID} (default cse-enforcement)
 * @param instanceId {@code ENFORCEMENT_INSTANCE_ID}: stable per instance, part of the transactional id (default HOSTNAME)
 */
public record EnforcementConfig(KafkaSettings kafka, String managementHost, int managementPort, URI platformUrl, String platformToken,
                                Duration requestTimeout, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                                int workers, String groupId, String instanceId) {

    public static EnforcementConfig from(Env env) {
        String token = env.secret("PLATFORM_API_TOKEN", null);
        if (token == null || token.isBlank()) {
            throw new org.cse.runtime.ConfigException("missing required environment variable PLATFORM_API_TOKEN");
        }
        return new EnforcementConfig(
                KafkaSettings.from(env),
                env.string("ENFORCEMENT_MANAGEMENT_HOST", "0.0.0.0"),
                env.integer("ENFORCEMENT_MANAGEMENT_PORT", 9082, 0, 65535),
                env.url("PLATFORM_API_URL", null),
                token,
                env.duration("PLATFORM_REQUEST_TIMEOUT", Duration.ofSeconds(5)),
                env.integer("ENFORCEMENT_MAX_ATTEMPTS", 8, 1, 100),
                env.duration("ENFORCEMENT_BACKOFF_INITIAL", Duration.ofMillis(200)),
                env.duration("ENFORCEMENT_BACKOFF_MAX", Duration.ofSeconds(10)),
                env.integer("ENFORCEMENT_WORKERS", 6, 1, 256),
                env.string("ENFORCEMENT_GROUP_ID", "cse-enforcement"),
                env.string("ENFORCEMENT_INSTANCE_ID", env.string("HOSTNAME", "local")));
    }
}
