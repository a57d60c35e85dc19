package org.cse.intake;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.http.HttpServer;

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
 * @param publishersFile {@code INTAKE_PUBLISHERS_FILE}: the publisher registry (required)
 * @param publishersReload {@code INTAKE_PUBLISHERS_RELOAD}: how often the registry file is checked for changes (default PT10S)
 * @param tls {@code INTAKE_TLS_KEYSTORE} (PKCS12) and {@code INTAKE_TLS_KEYSTORE_PASSWORD}: serve the API over TLS;
 *        with {@code INTAKE_TLS_TRUSTSTORE} and {@code INTAKE_TLS_TRUSTSTORE_PASSWORD}, publishers may authenticate
 *        with client certificates ({@code INTAKE_TLS_CLIENT_AUTH}: WANT, the default, or NEED); null: plain HTTP
 */
public record IntakeConfig(KafkaSettings kafka, String httpHost, int httpPort, String managementHost, int managementPort,
                           int maxBodyBytes, String stateDir, String applicationId, int produceTimeoutMs, Path publishersFile,
                           Duration publishersReload, HttpServer.Tls tls) {

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
                env.integer("INTAKE_PRODUCE_TIMEOUT_MS", 10_000, 1000, 120_000),
                existing(env.required("INTAKE_PUBLISHERS_FILE"), "INTAKE_PUBLISHERS_FILE"),
                env.duration("INTAKE_PUBLISHERS_RELOAD", Duration.ofSeconds(10)),
                tls(env));
    }

    private static Path existing(String file, String variable) {
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new ConfigException("environment variable " + variable + "=" + file + " names no readable file");
        }
        return path;
    }

    private static HttpServer.Tls tls(Env env) {
        String keyStore = env.string("INTAKE_TLS_KEYSTORE", null);
        if (keyStore == null) {
            return null;
        }
        String trustStore = env.string("INTAKE_TLS_TRUSTSTORE", null);
        String clientAuth = env.string("INTAKE_TLS_CLIENT_AUTH", trustStore == null ? "NONE" : "WANT").toUpperCase(Locale.ROOT);
        HttpServer.ClientAuth auth;
        try {
            auth = HttpServer.ClientAuth.valueOf(clientAuth);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("environment variable INTAKE_TLS_CLIENT_AUTH=" + clientAuth + " is not NONE, WANT or NEED");
        }
        if (auth != HttpServer.ClientAuth.NONE && trustStore == null) {
            throw new ConfigException("INTAKE_TLS_CLIENT_AUTH=" + auth + " needs INTAKE_TLS_TRUSTSTORE");
        }
        return new HttpServer.Tls(existing(keyStore, "INTAKE_TLS_KEYSTORE"), env.secret("INTAKE_TLS_KEYSTORE_PASSWORD", ""),
                trustStore == null ? null : existing(trustStore, "INTAKE_TLS_TRUSTSTORE"),
                env.secret("INTAKE_TLS_TRUSTSTORE_PASSWORD", ""), auth);
    }
}
