package org.cse.intake;

import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;

/**
 * Configuration of the intake service, from environment variables.
 *
 * @param kafka broker, registry and client overrides
 * @param httpHost {@code INTAKE_HTTP_HOST} (default 0.0.0.0): the API port's interface
 * @param httpPort {@code INTAKE_HTTP_PORT} (default 8080; 0 picks a free port)
 * @param managementHost {@code INTAKE_MANAGEMENT_HOST} (default 0.0.0.0): health and metrics
 * @param managementPort {@code INTAKE_MANAGEMENT_PORT} (default 9080; 0 picks a free port)
 * @param maxBodyBytes {@code INTAKE_MAX_BODY_BYTES}: larger requests get 413 (default 1 MiB)
 * @param stateDir {@code INTAKE_STATE_DIR}: Kafka Streams state (default /tmp/cse-intake)
 * @param applicationId {@code INTAKE_APPLICATION_ID}: Streams application id (default cse-intake)
 * @param produceTimeoutMs {@code INTAKE_PRODUCE_TIMEOUT_MS}: an HTTP request is answered 503 once the broker has
 *        not acknowledged the report within this (default 10000)
 */
public record IntakeConfig(KafkaSettings kafka, String httpHost, int httpPort, String managementHost, int managementPort,
                           int maxBodyBytes, String stateDir, String applicationId, int produceTimeoutMs) {

    public static IntakeConfig from(Env env) {
        return new IntakeConfig(
                KafkaSettings.from(env),
                env.string("INTAKE_HTTP_HOST", "0.0.0.0"),
                env.integer("INTAKE_HTTP_PORT", 8080, 0, 65535),
                env.string("INTAKE_MANAGEMENT_HOST", "0.0.0.0"),
                env.integer("INTAKE_MANAGEMENT_PORT", 9080, 0, 65535),
                env.integer("INTAKE_MAX_BODY_BYTES", 1024 * 1024, 1024, 1024 * 1024),
                env.string("INTAKE_STATE_DIR", System.getProperty("java.io.tmpdir") + "/cse-intake"),
                env.string("INTAKE_APPLICATION_ID", "cse-intake"),
                env.integer("INTAKE_PRODUCE_TIMEOUT_MS", 10_000, 1000, 120_000));
    }
}
