package org.cse.escalation;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cse.escalation.state.FileProgress;
import org.cse.escalation.state.ReferralItem;
import org.cse.escalation.state.ReferralPhase;
import org.cse.events.ReferralCommand;
import org.cse.runtime.Health;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.delivery.DeliveryApi;
import org.cse.runtime.delivery.DeliveryRuntime;
import org.cse.runtime.delivery.DeliverySettings;
import org.cse.runtime.delivery.Outbound;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.eclipse.jetty.client.HttpClient;

/**
 * Delivers referrals. In: {@code cse.decisions.v1}. Out: {@code cse.referrals.v1} (the operators' view of
 * each referral's state), {@code cse.preservation.v1}, dead letters on {@code cse.escalation.dlq.v1};
 * commands and results on {@code cse.escalation.commands.v1} and {@code cse.escalation.results.v1}
 * between its state machine ({@link EscalationTopology}) and its executor ({@link ReferralCalls}).
 * External: NCMEC's CyberTipline API, INHOPE member hotlines, the platform's evidence store.
 * Operators: {@code GET /v1/deliveries/{accountId}}, {@code POST .../replay}.
 */
public final class EscalationService implements Service {
    private final DeliveryRuntime<ReferralCommand, ReferralItem> runtime;

    public EscalationService(EscalationConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus(EscalationTopology.SERVICE);
        DeliverySettings delivery = config.delivery();
        SchemaRegistry registry = config.kafka().registryClient();
        ReferralMachine.Settings settings = new ReferralMachine.Settings(delivery.backoff(), delivery.retryBudget(),
                delivery.commandTimeout(), delivery.retention(), config.preservation(), config.reporter());
        HttpClient http = Outbound.client("escalation", delivery.maxInFlight(), Duration.ofSeconds(5));
        ReferralCalls calls = new ReferralCalls(http, new ReferralCalls.Endpoints(config.ncmecUrl(), config.ncmecUsername(),
                config.ncmecPassword(), config.evidenceUrl(), config.evidenceToken(), config.hotlines(), config.defaultHotline(),
                config.hotlineToken()), delivery.requestTimeout(), Clock.systemUTC());
        this.runtime = new DeliveryRuntime<>(config.kafka(), delivery, registry, metrics, new DeliveryRuntime.Parts<>(
                EscalationTopology.SERVICE, EscalationTopology.buildTopology(registry, settings, metrics), Topics.ESCALATION_COMMANDS,
                Topics.ESCALATION_RESULTS, Topics.ESCALATION_DLQ.name(),
                new DeliveryApi.Items<>(EscalationTopology.ITEMS, ReferralItem::getReferralId, EscalationService::view,
                        item -> item.getPhase() == ReferralPhase.PARKED),
                http, calls));
    }

    /** One referral as operators see it: status, step, attempts, last error, next retry; ids, never content. */
    static Map<String, Object> view(ReferralItem item) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("itemId", item.getReferralId());
        view.put("kind", "referral");
        view.put("target", item.getReferral().getTarget().name());
        view.put("hostingCountry", item.getReferral().getHostingCountry());
        view.put("decisionId", item.getDecision().getDecisionId());
        view.put("status", ReferralMachine.status(item).name());
        view.put("phase", item.getPhase().name());
        view.put("reportId", item.getReportId());
        view.put("files", item.getFiles().size());
        view.put("filesSent", item.getFiles().stream().filter(FileProgress::getInfoSent).count());
        view.put("duplicateUploads", item.getDuplicateUploads());
        view.put("holdPlaced", item.getHoldPlaced());
        view.put("step", item.getCommandStep() == null ? null : item.getCommandStep().name());
        view.put("attempts", item.getAttempt());
        view.put("totalAttempts", item.getTotalAttempts());
        view.put("series", item.getSeries());
        view.put("lastHttpStatus", item.getLastHttpStatus());
        view.put("lastCode", item.getLastCode());
        view.put("lastError", item.getLastError());
        view.put("nextAttemptAt", item.getNextAttemptAt() == null ? null : item.getNextAttemptAt().toString());
        view.put("finishedAt", item.getFinishedAt() == null ? null : item.getFinishedAt().toString());
        view.put("replayedBy", item.getReplayedBy());
        view.put("updatedAt", item.getUpdatedAt().toString());
        return view;
    }

    @Override
    public void start() {
        runtime.start();
    }

    @Override
    public Health health() {
        return runtime.health();
    }

    @Override
    public int httpPort() {
        return runtime.httpPort();
    }

    @Override
    public int managementPort() {
        return runtime.managementPort();
    }

    @Override
    public void close() {
        runtime.close();
    }
}
