package org.cse.runtime;

import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every {@code main} does: read config, log it redacted, start, stop on SIGTERM. */
public final class ServiceMain {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceMain.class);

    private ServiceMain() {
    }

    public static void run(String name, Function<Env, Service> factory) {
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
