package org.cse.runtime.delivery;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.cse.runtime.Env;
import org.cse.runtime.auth.Operators;

/**
 * What the two delivery services (enforcement, escalation) configure alike, from variables with the
 * service's prefix ({@code ENFORCEMENT_}, {@code ESCALATION_}):
 *
 * @param httpHost {@code P_HTTP_HOST} (default 0.0.0.0): the operators' API (deliveries lookup and replay)
 * @param httpPort {@code P_HTTP_PORT}
 * @param managementHost {@code P_MANAGEMENT_HOST} (default 0.0.0.0): health and metrics
 * @param managementPort {@code P_MANAGEMENT_PORT}
 * @param advertisedHost {@code P_ADVERTISED_HOST} (default 127.0.0.1): how other instances reach this one's API
 * @param stateDir {@code P_STATE_DIR}: Kafka Streams state
 * @param applicationId {@code P_GROUP_ID}: the Streams application id, which is its consumer group: the group of
 *        the previous release, so that the new one starts where it stopped
 * @param operatorsFile {@code P_OPERATORS_FILE} (required): who may look deliveries up and replay them
 * @param maxInFlight {@code P_MAX_IN_FLIGHT} (default 1024): commands executing at once per instance
 * @param backoff {@code P_BACKOFF_INITIAL}, {@code P_BACKOFF_MAX}: delays between attempts (jitter ±20%)
 * @param retryBudget {@code P_RETRY_BUDGET}: how long an item is retried before it is parked
 * @param commandTimeout {@code P_COMMAND_TIMEOUT} (default PT10M): a command with no result after this long counts as failed
 * @param retention {@code P_RETENTION} (default P30D): how long a settled item stays in the store and the lookup
 * @param requestTimeout {@code P_REQUEST_TIMEOUT}: one HTTP call's budget
 */
public record DeliverySettings(String httpHost, int httpPort, String managementHost, int managementPort, String advertisedHost,
                               String stateDir, String applicationId, Path operatorsFile, int maxInFlight, Backoff backoff,
                               Duration retryBudget, Duration commandTimeout, Duration retention, Duration requestTimeout) {

    /** The defaults that differ between the services. */
    public record Defaults(int httpPort, int managementPort, String applicationId, Duration initialBackoff, Duration maxBackoff,
                           Duration retryBudget, Duration requestTimeout) {}

    public static DeliverySettings from(Env env, String prefix, Defaults defaults) {
        return new DeliverySettings(
                env.string(prefix + "_HTTP_HOST", "0.0.0.0"),
                env.integer(prefix + "_HTTP_PORT", defaults.httpPort(), 0, 65535),
                env.string(prefix + "_MANAGEMENT_HOST", "0.0.0.0"),
                env.integer(prefix + "_MANAGEMENT_PORT", defaults.managementPort(), 0, 65535),
                env.string(prefix + "_ADVERTISED_HOST", "127.0.0.1"),
                env.string(prefix + "_STATE_DIR", System.getProperty("java.io.tmpdir") + "/" + defaults.applicationId()),
                env.string(prefix + "_GROUP_ID", defaults.applicationId()),
                Path.of(env.required(prefix + "_OPERATORS_FILE")),
                env.integer(prefix + "_MAX_IN_FLIGHT", 1024, 1, 10_000),
                new Backoff(env.duration(prefix + "_BACKOFF_INITIAL", defaults.initialBackoff()),
                        env.duration(prefix + "_BACKOFF_MAX", defaults.maxBackoff()), 0.2),
                env.duration(prefix + "_RETRY_BUDGET", defaults.retryBudget()),
                env.duration(prefix + "_COMMAND_TIMEOUT", Duration.ofMinutes(10)),
                env.duration(prefix + "_RETENTION", Duration.ofDays(30)),
                env.duration(prefix + "_REQUEST_TIMEOUT", defaults.requestTimeout()));
    }

    public Operators operators() {
        return Operators.load(operatorsFile, Clock.systemUTC());
    }
}
