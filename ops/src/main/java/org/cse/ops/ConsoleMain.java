package org.cse.ops;

import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.cse.runtime.Env;

/**
 * The console as a deployed service ({@code SERVICE_MAIN=org.cse.ops.ConsoleMain}): listens on
 * {@code CSE_CONSOLE_HOST}:{@code CSE_CONSOLE_PORT} (default 0.0.0.0:8090), reads Kafka as the
 * {@code ops} user, signs operators in against {@code CSE_OPS_OPERATORS_FILE}; the rest as {@link OpsSettings}.
 */
public final class ConsoleMain {
    private ConsoleMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Env env = Env.system();
        Console console = Console.start(env, Clock.systemUTC(), env.string("CSE_CONSOLE_HOST", "0.0.0.0"),
                env.integer("CSE_CONSOLE_PORT", 8090, 0, 65_535));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.close();
            stopped.countDown();
        }, "cse-console-shutdown"));
        stopped.await();
    }
}
