package org.cse.ops;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code cse-ops console}: serves the live console until stopped. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Serve the live console (rates, dead letters, parked deliveries, the legal clock, lag, account search) until stopped.",
                "Operators sign in with their operator token, checked against CSE_OPS_OPERATORS_FILE; Kafka is read as KAFKA_USERNAME (ops)."})
final class ConsoleCommand implements Callable<Integer> {
    @ParentCommand
    private OpsCli root;
    @Spec
    private picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--port", defaultValue = "8090", description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Console console = Console.start(root.env(), root.clock(), host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.close();
            stopped.countDown();
        }, "cse-console-shutdown"));
        spec.commandLine().getOut().println("console on http://" + host + ":" + console.port() + "/ (Ctrl-C stops it)");
        spec.commandLine().getOut().flush();
        stopped.await();
        return OpsFailure.Exit.OK;
    }
}
