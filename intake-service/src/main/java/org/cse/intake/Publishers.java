package org.cse.intake;

import dev.failsafe.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.cse.runtime.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher registry in force, reloaded without a restart when its file changes (token rotation,
 * a new publisher). A file that does not validate is refused: the previous registry stays in force,
 * the error is logged with its line, {@code cse_intake_publisher_registry_valid} drops to 0 and an
 * alert fires. Also each publisher's rate limiters.
 */
final class Publishers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Publishers.class);

    /** A publisher's two limits: all reports, and verified matches. */
    record Limiters(int perSecond, int confirmedPerMinute, RateLimiter<Object> all, RateLimiter<Object> confirmed) {}

    private final Path file;
    private final Clock clock;
    private final AtomicReference<PublisherRegistry> current = new AtomicReference<>();
    private final Map<String, Limiters> limiters = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reloader;
    private final Counter reloaded;
    private final Counter refused;
    private volatile byte[] loadedContent;
    private volatile boolean lastValid = true;

    Publishers(Path file, Duration reloadEvery, Clock clock, MeterRegistry metrics) {
        this.file = file;
        this.clock = clock;
        byte[] content = read();
        current.set(PublisherRegistry.parse(content, file.toString(), clock));
        loadedContent = content;
        this.reloaded = Counter.builder("cse_intake_publisher_registry_reloads").tag("result", "loaded")
                .description("Changes of the publisher registry file taken (loaded) or refused as invalid (refused)").register(metrics);
        this.refused = Counter.builder("cse_intake_publisher_registry_reloads").tag("result", "refused").register(metrics);
        Gauge.builder("cse_intake_publisher_registry_valid", this, publishers -> publishers.lastValid ? 1 : 0)
                .description("1 while the publisher registry file in place is the one in force; 0 after an invalid change was refused")
                .register(metrics);
        this.reloader = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "publisher-registry-reload");
            thread.setDaemon(true);
            return thread;
        });
        reloader.scheduleWithFixedDelay(this::reloadIfChanged, reloadEvery.toMillis(), reloadEvery.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("publisher registry {}: {} publisher(s)", file, current.get().publishers().size());
    }

    PublisherRegistry registry() {
        return current.get();
    }

    /** Reads the file again and takes it if it changed and is valid; otherwise keeps what is in force. */
    void reloadIfChanged() {
        byte[] content;
        try {
            content = read();
        } catch (ConfigException e) {
            refuse(e.getMessage());
            return;
        }
        if (Arrays.equals(content, loadedContent)) {
            lastValid = true; // back to the registry in force (an invalid edit undone)
            return;
        }
        try {
            PublisherRegistry next = PublisherRegistry.parse(content, file.toString(), clock);
            current.set(next);
            loadedContent = content;
            limiters.clear();
            lastValid = true;
            reloaded.increment();
            LOG.info("publisher registry reloaded: {} publisher(s)", next.publishers().size());
        } catch (ConfigException e) {
            refuse(e.getMessage());
        }
    }

    private void refuse(String why) {
        if (lastValid) {
            refused.increment();
            LOG.error("publisher registry change refused, the previous registry stays in force: {}", why);
        }
        lastValid = false;
    }

    Limiters limiters(PublisherRegistry.Publisher publisher) {
        return limiters.compute(publisher.id(), (id, existing) -> existing != null && existing.perSecond() == publisher.perSecond()
                && existing.confirmedPerMinute() == publisher.confirmedPerMinute() ? existing
                : new Limiters(publisher.perSecond(), publisher.confirmedPerMinute(),
                        RateLimiter.burstyBuilder(publisher.perSecond(), Duration.ofSeconds(1)).build(),
                        RateLimiter.burstyBuilder(publisher.confirmedPerMinute(), Duration.ofMinutes(1)).build()));
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new ConfigException(file + ": cannot read the publisher registry: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        reloader.shutdownNow();
    }
}
