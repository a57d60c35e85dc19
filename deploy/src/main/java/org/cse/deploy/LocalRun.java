package org.cse.deploy;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.ops.Console;
import org.cse.runtime.Env;
import org.cse.runtime.ServiceMain;

/**
 * The whole pipeline on this machine: a real Kafka broker and schema registry, sandboxes of the
 * platform, NCMEC and a hotline, the four services, sample traffic, and what happens told in plain
 * words. Ctrl-C stops everything.
 */
public final class LocalRun {
    private LocalRun() {
    }

    /**
     * The services log JSON for machines; here a person is reading: plain text, errors only, the
     * narration or the figures say the rest. Each setting yields to the environment variable of its name.
     */
    static void quietLogs(String streamsLevel) {
        System.setProperty("LOG_FORMAT", System.getenv().getOrDefault("LOG_FORMAT", "plain"));
        System.setProperty("LOG_LEVEL", System.getenv().getOrDefault("LOG_LEVEL", "ERROR"));
        System.setProperty("LOG_LEVEL_KAFKA", System.getenv().getOrDefault("LOG_LEVEL_KAFKA", "ERROR"));
        System.setProperty("LOG_LEVEL_STREAMS", System.getenv().getOrDefault("LOG_LEVEL_STREAMS", streamsLevel));
    }

    public static void main(String[] args) throws Exception {
        ServiceMain.pinFormatLocale(); // as every service's own main does
        quietLogs("WARN");
        PrintStream out = System.out;
        Instant started = Instant.now();
        out.println("Starting the CSE enforcement pipeline locally (Kafka broker, schema registry, sandboxes, 4 services)...");
        LocalStack stack = LocalStack.start();
        out.printf("  Kafka broker   %s (KRaft, pid %d)%n", stack.bootstrapServers(), stack.broker().pid());
        out.printf("  Schema registry %s (Apicurio, pid %d)%n", stack.schemaRegistryUrl(), stack.registry().pid());
        LocalPipeline pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
        CountDownLatch stopped = new CountDownLatch(1);
        Console console = console(pipeline, out);
        Narrator narrator = new Narrator(stack.clientConfig("ops"), stack.registryClient(), out);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("Stopping: intake, classifier, enforcement, escalation, sandboxes, registry, broker...");
            narrator.close();
            console.close();
            pipeline.close();
            stack.close();
            out.println("Stopped. No broker, registry or service process is left running.");
            stopped.countDown();
        }, "local-run-shutdown"));
        stack.closeOnlyWhenAsked(); // this hook closes the stack, after the services on it
        out.printf("  Platform sandbox %s   NCMEC sandbox %s   Hotline sandbox %s%n", pipeline.platform().baseUrl(),
                pipeline.ncmec().apiUrl(), pipeline.hotline().baseUrl());
        pipeline.managementPorts().forEach((service, port) -> out.printf("  %-20s http://127.0.0.1:%d  (/health/ready, /metrics)%n",
                service, port));
        out.printf("  %-20s %s/v1/reports   account lookup %s/v1/accounts/{id}%n", "API", pipeline.intakeUrl(), pipeline.classifierUrl());
        out.printf("Ready in %.1f s. Sending sample traffic; what happens follows.%n",
                Duration.between(started, Instant.now()).toMillis() / 1000.0);
        narrator.start();
        SampleTraffic.send(pipeline, out);
        out.println("Post your own, as the local user-reports publisher:");
        out.println("  curl -H 'Content-Type: application/json' -H 'Authorization: Bearer "
                + pipeline.credentials().token("user-reports") + "' -d @report.json " + pipeline.intakeUrl() + "/v1/reports");
        out.println("Look an account up, as operator oncall:");
        out.println("  curl -H 'Authorization: Bearer " + pipeline.credentials().operatorToken() + "' "
                + pipeline.classifierUrl() + "/v1/accounts/acct-1001");
        out.println("Publisher tokens (hash-matcher may report verified matches): " + LocalCredentials.PUBLISHERS.stream()
                .map(p -> p + "=" + pipeline.credentials().token(p)).collect(java.util.stream.Collectors.joining(" ")));
        out.println("Live console: http://127.0.0.1:" + console.port() + "/  (sign in with the operator token "
                + pipeline.credentials().operatorToken() + ")");
        out.println("Operators' CLI, in another shell: " + String.join(" ", opsExports(pipeline)) + " ./cse-ops --help");
        out.println("Registry files: " + pipeline.credentials().publishersFile() + ", " + pipeline.credentials().operatorsFile()
                + "   Kafka: SASL/SCRAM users per service, ACLs from deploy/kafka/acls.yaml   (Ctrl-C stops everything)");
        stopped.await();
    }

    /** The live console on CSE_CONSOLE_PORT (8090), or on a free port when that one is taken. */
    private static Console console(LocalPipeline pipeline, PrintStream out) {
        Env env = new Env(pipeline.opsEnvironment("ops"));
        int port = Integer.parseInt(System.getenv().getOrDefault("CSE_CONSOLE_PORT", "8090"));
        try {
            return Console.start(env, Clock.systemUTC(), "127.0.0.1", port);
        } catch (RuntimeException e) {
            out.printf("  port %d is taken (%s): the console takes a free port%n", port, e.getMessage());
            return Console.start(env, Clock.systemUTC(), "127.0.0.1", 0);
        }
    }

    /** The environment a second shell needs to point ./cse-ops at this run, as shell assignments. */
    static java.util.List<String> opsExports(LocalPipeline pipeline) {
        return new java.util.TreeMap<>(pipeline.opsEnvironment("ops")).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toList();
    }
}
