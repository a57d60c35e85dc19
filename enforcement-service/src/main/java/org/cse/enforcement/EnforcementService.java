package org.cse.enforcement;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cse.enforcement.state.ActionItem;
import org.cse.enforcement.state.ActionStatus;
import org.cse.events.ActionCommand;
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
 * Applies decided account actions at the platform. In: {@code cse.decisions.v1}. Out:
 * {@code cse.enforcement.outcomes.v1}, {@code cse.bans.identifiers.v1}, dead letters on
 * {@code cse.enforcement.dlq.v1}; commands and results on {@code cse.enforcement.commands.v1} and
 * {@code cse.enforcement.results.v1} between its state machine ({@link EnforcementTopology}) and its
 * executor ({@link PlatformCalls}). External: the platform's account-actions API, with the action id
 * as Idempotency-Key. Operators: {@code GET /v1/deliveries/{accountId}}, {@code POST .../replay}.
 */
public final class EnforcementService implements Service {
    private final DeliveryRuntime<ActionCommand, ActionItem> runtime;

    public EnforcementService(EnforcementConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus(EnforcementTopology.SERVICE);
        DeliverySettings delivery = config.delivery();
        SchemaRegistry registry = config.kafka().registryClient();
        ActionMachine.Settings settings = new ActionMachine.Settings(delivery.backoff(), delivery.retryBudget(), delivery.commandTimeout(),
                delivery.retention(), 16);
        HttpClient http = Outbound.client("enforcement", delivery.maxInFlight(), Duration.ofSeconds(5));
        PlatformCalls calls = new PlatformCalls(http, config.platformUrl(), config.platformToken(), delivery.requestTimeout(),
                Clock.systemUTC());
        this.runtime = new DeliveryRuntime<>(config.kafka(), delivery, registry, metrics, new DeliveryRuntime.Parts<>(
                EnforcementTopology.SERVICE, EnforcementTopology.buildTopology(registry, settings, metrics), Topics.ENFORCEMENT_COMMANDS,
                Topics.ENFORCEMENT_RESULTS, Topics.ENFORCEMENT_DLQ.name(),
                new DeliveryApi.Items<>(EnforcementTopology.ITEMS, item -> item.getCall().getAction().getActionId(), EnforcementService::view,
                        item -> item.getStatus() == ActionStatus.PARKED),
                http, calls));
    }

    /** One action as operators see it: state, attempts, last error, next retry; ids, never content. */
    static Map<String, Object> view(ActionItem item) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("itemId", item.getCall().getAction().getActionId());
        view.put("kind", "action");
        view.put("type", item.getCall().getAction().getType().name());
        view.put("decisionId", item.getCall().getDecisionId());
        view.put("status", item.getStatus().name());
        view.put("alreadyApplied", item.getAlreadyApplied());
        view.put("attempts", item.getAttempt());
        view.put("totalAttempts", item.getTotalAttempts());
        view.put("series", item.getSeries());
        view.put("lastHttpStatus", item.getLastHttpStatus());
        view.put("lastError", item.getLastError());
        view.put("nextAttemptAt", item.getNextAttemptAt() == null ? null : item.getNextAttemptAt().toString());
        view.put("commandId", item.getCommandId());
        view.put("settledAt", item.getSettledAt() == null ? null : item.getSettledAt().toString());
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
