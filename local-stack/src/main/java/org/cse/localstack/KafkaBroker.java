package org.cse.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Apache Kafka broker ({@code kafka.Kafka} from {@code kafka_2.13}) in KRaft combined mode,
 * as a child JVM on 127.0.0.1 with free ports, secured as production is (without TLS on loopback):
 * clients authenticate with SASL/SCRAM-SHA-512 over SASL_PLAINTEXT, the controller listener with
 * SASL/PLAIN, and the StandardAuthorizer denies everything no ACL allows. The super user's SCRAM
 * credential is bootstrapped when the log directory is formatted; other users are created through
 * the admin API. It can be stopped, killed and started again on the same ports and log directory,
 * for fault tests.
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final List<String> classpath;
    private final boolean ownsDir;
    private final KafkaUser admin = KafkaUser.random("admin");
    private final String controllerPassword = KafkaUser.random("controller").password();
    private ChildProcess process;

    private KafkaBroker(Path dir, boolean ownsDir) {
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.port = FreePorts.next();
        this.controllerPort = FreePorts.next();
        this.classpath = Arrays.asList(Resources.text("broker.classpath").split(java.io.File.pathSeparator));
    }

    /** Formats a fresh log directory and starts the broker; returns when it answers admin calls. */
    public static KafkaBroker start(Path workDir) {
        Path dir = workDir == null ? tempDir() : workDir;
        KafkaBroker broker = new KafkaBroker(dir, workDir == null);
        try {
            broker.format();
            broker.launch();
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The super user's SCRAM password (its name is {@code admin}). */
    public String adminPassword() {
        return admin.password();
    }

    /** Client settings of the super user: for provisioning and for tests that must write what no service may. */
    public Map<String, Object> adminClientConfig() {
        return admin.clientConfig(bootstrapServers());
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL the broker, as a crash would. */
    public void kill() {
        process.kill();
    }

    /** Starts the broker again on the same ports and data after a stop or kill. */
    public void restart() {
        process.close();
        launch();
    }

    private void format() {
        writeConfig();
        ChildProcess.runToCompletion("kafka-storage-format", classpath, "kafka.tools.StorageTool",
                List.of("format", "-t", Uuid.randomUuid().toString(), "-c", dir.resolve("server.properties").toString(),
                        "--ignore-formatted", "--add-scram",
                        "SCRAM-SHA-512=[name=" + admin.name() + ",password=" + admin.password() + "]"),
                dir, dir.resolve("logs/format.log"), Duration.ofSeconds(60));
    }

    private void launch() {
        Instant started = Instant.now();
        process = ChildProcess.startJava("kafka-broker", classpath,
                List.of("-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                        "-Dlogback.configurationFile=" + dir.resolve("logback.xml")),
                "kafka.Kafka", List.of(dir.resolve("server.properties").toString()), dir, dir.resolve("logs/broker.log"));
        awaitReady(Duration.ofSeconds(90));
        LOG.info("Kafka broker ready at {} in {} ms", bootstrapServers(), Duration.between(started, Instant.now()).toMillis());
    }

    private void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Object> config = new java.util.HashMap<>(adminClientConfig());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(config)) {
            while (Instant.now().isBefore(deadline)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Kafka broker exited during start-up: " + process.tail());
                }
                try {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                sleep(200);
            }
        }
        throw new IllegalStateException("Kafka broker not ready within " + timeout + ": " + process.tail());
    }

    private void writeConfig() {
        String config = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=SASL_PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SASL_PLAINTEXT",
                "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
                // clients and the broker to itself: SCRAM, credentials in the cluster metadata
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
                        + "required username=\"" + admin.name() + "\" password=\"" + admin.password() + "\";",
                // the controller listener: SCRAM credentials live in metadata the controller serves, so PLAIN here
                "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
                "sasl.mechanism.controller.protocol=PLAIN",
                "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                        + "required username=\"controller\" password=\"" + controllerPassword + "\" user_controller=\""
                        + controllerPassword + "\";",
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + admin.name() + ";User:controller",
                "allow.everyone.if.no.acl.found=false",
                "log.dirs=" + dir.resolve("data"),
                "auto.create.topics.enable=false",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=6",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.flush.interval.messages=9223372036854775807",
                "");
        String logback = """
                <configuration>
                  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="out"/></root>
                  <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
                </configuration>
                """;
        try {
            Files.createDirectories(dir.resolve("logs"));
            Files.writeString(dir.resolve("server.properties"), config);
            Files.writeString(dir.resolve("logback.xml"), logback);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
        if (ownsDir) {
            TempDirs.delete(dir);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("cse-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
