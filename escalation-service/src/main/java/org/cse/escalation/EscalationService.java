package org.cse.escalation;

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
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers referrals. In: {@code cse.decisions.v1}. Out: {@code cse.referrals.v1} (compacted state
 * per referral, also read back at start-up), dead letters on {@code cse.escalation.dlq.v1}. External:
 * NCMEC's CyberTipline API and INHOPE member hotlines.
 */
public final class EscalationService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(EscalationService.class);

    private final ReferralStates states;
    private final TransactionalLoop loop;
    private final HttpServer management;

    public EscalationService(EscalationConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus("escalation-service");
        SchemaRegistry registry = config.kafka().registryClient();
        CyberTiplineClient ncmec = new CyberTiplineClient(config.ncmecUrl(), config.ncmecUsername(), config.ncmecPassword(),
                config.requestTimeout());
        HotlineClient hotlines = new HotlineClient(config.hotlines(), config.defaultHotline(), config.hotlineToken(),
                config.requestTimeout());
        this.states = new ReferralStates(config.kafka(), registry, config.groupId() + "-" + config.instanceId());
        EscalationHandler handler = new EscalationHandler(ncmec, hotlines, config.reporter(), states, registry,
                Clock.systemUTC(), metrics, config.maxAttempts(), config.initialBackoff(), config.maxBackoff());
        this.loop = new TransactionalLoop("escalation-service", config.kafka(), config.groupId(),
                config.groupId() + "-" + config.instanceId(), Topics.DECISIONS.name(), Topics.ESCALATION_DLQ.name(),
                100, config.workers(), 5, Duration.ofSeconds(2), metrics, handler)
                // the instance that had these partitions may have just finished referrals: see them before going on
                .onAssignment(partitions -> states.awaitCurrent(Duration.ofSeconds(60)));
        this.management = Management.server("escalation-service", config.managementHost(), config.managementPort(), metrics,
                this::health);
    }

    /** Restores referral states before taking the first decision, so no finished referral is redone. */
    @Override
    public void start() {
        management.start();
        states.start();
        try {
            states.awaitCaughtUp(Duration.ofMinutes(2));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start escalation: " + e.getMessage(), e);
        }
        loop.start();
        LOG.info("escalation-service started");
    }

    @Override
    public Health health() {
        return Health.of(states.isCaughtUp() && loop.isHealthy());
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
        states.close();
        management.close();
    }
}
