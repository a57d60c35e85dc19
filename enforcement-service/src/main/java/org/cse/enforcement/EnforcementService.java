package org.cse.enforcement;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.cse.runtime.Health;
import org.cse.runtime.Management;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.TransactionalLoop;
import org.cse.runtime.http.HttpServer;
import org.cse.schemas.Topics;

/**
 * Applies decided account actions at the platform. In: {@code cse.decisions.v1}. Out:
 * {@code cse.enforcement.outcomes.v1}, {@code cse.bans.identifiers.v1}, dead letters on
 * {@code cse.enforcement.dlq.v1}. Outputs and input offsets commit in one transaction; the platform
 * call is made idempotent by the action id as Idempotency-Key.
 */
public final class EnforcementService implements Service {
    private final TransactionalLoop loop;
    private final HttpServer management;

    public EnforcementService(EnforcementConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus("enforcement-service");
        PlatformClient platform = new PlatformClient(config.platformUrl(), config.platformToken(), config.requestTimeout(),
                config.maxAttempts(), config.initialBackoff(), config.maxBackoff());
        EnforcementHandler handler = new EnforcementHandler(platform, config.kafka().registryClient(), Clock.systemUTC(), metrics);
        this.loop = new TransactionalLoop("enforcement-service", config.kafka(), config.groupId(),
                config.groupId() + "-" + config.instanceId(), Topics.DECISIONS.name(), Topics.ENFORCEMENT_DLQ.name(),
                100, config.workers(), 5, Duration.ofSeconds(1), metrics, handler);
        this.management = Management.server("enforcement-service", config.managementHost(), config.managementPort(), metrics,
                this::health);
    }

    @Override
    public void start() {
        loop.start();
        management.start();
    }

    @Override
    public Health health() {
        return Health.of(loop.isHealthy());
    }

    @Override
    public int httpPort() {
        return -1;
    }

    @Override
    public int managementPort() {
        return management.port();
    }

    @Override
    public void close() {
        loop.close();
        management.close();
    }
}
