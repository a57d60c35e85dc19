package org.cse.runtime;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every {@code main} does: format in {@code en-US}, read config, log it redacted, start, stop on SIGTERM. */
public final class ServiceMain {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceMain.class);

    private ServiceMain() {
    }

    /**
     * Formats in {@code en-US} whatever the host's locale. Kafka Streams 4.4.0 formats a log line with
     * {@code String.format} for every empty input partition at every readiness check, TRACE on or not; under a
     * locale other than {@code en-US} (a host with {@code LANG=C.UTF-8} gives plain {@code en}) each {@code %d}
     * builds a new {@code DecimalFormatSymbols}. The classifier's tasks read four topics, three mostly empty:
     * that formatting was 15% of its stream thread under {@code en} and 3% under {@code en-US} (JFR,
     * {@code ./bench.sh classifier}). The bench pins the same, so that it measures what the services run.
     */
    public static void pinFormatLocale() {
        Locale.setDefault(Locale.Category.FORMAT, Locale.US);
    }

    public static void run(String name, Function<Env, Service> factory) {
        pinFormatLocale();
        Env env = Env.system();
        Service service;
        try {
            service = factory.apply(env);
        } catch (ConfigException e) {
            LOG.error("{} cannot start: {}", name, e.getMessage());
            System.exit(2);
            return;
        }
        LOG.info("{} effective config {}", name, env.effective());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("{} stopping", name);
            service.close();
            stopped.countDown();
        }, name + "-shutdown"));
        service.start();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
