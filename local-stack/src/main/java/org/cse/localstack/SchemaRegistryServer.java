package org.cse.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry server (its Maven Central distribution, unpacked by the build) as a child
 * JVM on 127.0.0.1, serving the Confluent-compatible API at {@code /apis/ccompat/v7}. In-memory
 * storage: a new, empty registry each start.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);

    private final int port;
    private final Path workDir;
    private final ChildProcess process;

    private SchemaRegistryServer(int port, Path workDir, ChildProcess process) {
        this.port = port;
        this.workDir = workDir;
        this.process = process;
    }

    public static SchemaRegistryServer start() {
        Properties facts = Resources.properties();
        Path home = Path.of(facts.getProperty("registry.home"));
        Path runner = home.resolve(facts.getProperty("registry.runner"));
        if (!Files.isRegularFile(runner)) {
            throw new IllegalStateException("Apicurio Registry not found at " + runner
                    + ": run the Maven build of local-stack, which unpacks it");
        }
        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        Path workDir;
        try {
            workDir = Files.createTempDirectory("cse-registry-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Instant started = Instant.now();
        // The runner jar's manifest carries its lib/ classpath; the main class is started through the watchdog.
        ChildProcess process = ChildProcess.startJava("schema-registry", List.of(runner.toString()),
                List.of("-Xms128m", "-Xmx512m",
                        "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                        "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + managementPort,
                        "-Dquarkus.log.level=WARN", "-Dquarkus.log.category.\"io.apicurio\".level=WARN"),
                "io.quarkus.runner.GeneratedMain", List.of(), workDir, workDir.resolve("registry.log"));
        SchemaRegistryServer server = new SchemaRegistryServer(port, workDir, process);
        try {
            server.awaitReady(Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        LOG.info("schema registry ready at {} in {} ms", server.confluentApiUrl(),
                Duration.between(started, Instant.now()).toMillis());
        return server;
    }

    /** The Confluent-compatible API root, what {@code SCHEMA_REGISTRY_URL} points at. */
    public String confluentApiUrl() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    /** Apicurio's own v3 API root (for Apicurio's serde). */
    public String apicurioApiUrl() {
        return "http://127.0.0.1:" + port + "/apis/registry/v3";
    }

    public long pid() {
        return process.pid();
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("schema registry exited during start-up: " + process.tail());
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            KafkaBroker.sleep(200);
        }
        throw new IllegalStateException("schema registry not ready within " + timeout + ": " + process.tail());
    }

    @Override
    public void close() {
        process.close();
        TempDirs.delete(workDir);
    }
}
