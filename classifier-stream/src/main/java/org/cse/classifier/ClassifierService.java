package org.cse.classifier;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.IncidentState;
import org.cse.runtime.Health;
import org.cse.runtime.Management;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.StoreOwners;
import org.cse.runtime.StreamsClient;
import org.cse.runtime.auth.Operators;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;
import org.cse.schemas.Limits;
import org.cse.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ClassifierTopology} with health, metrics and the operators' account lookup
 * ({@code GET /v1/accounts/{id}}: status, strikes, open incidents, recent decisions, from the Streams
 * state; a key held by another instance is fetched from it, with the operator's own credential, so
 * that the owner checks it too). Every lookup needs an operator's bearer token and leaves an audit
 * line (who, which account, from where). Ready when Streams is RUNNING.
 */
public final class ClassifierService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);
    private static final String ACCOUNTS = "/v1/accounts/";
    /**
     * How often the classifier commits unless {@code KAFKA_COMMIT_INTERVAL_MS} says otherwise: a decision
     * is visible to read_committed consumers only once committed, so this is most of its latency. 20 ms
     * holds p99 under 100 ms at 1,000 reports/s on two cores; 100 ms did not (README, Benchmarks).
     */
    public static final java.time.Duration COMMIT_INTERVAL = java.time.Duration.ofMillis(20);
    /**
     * The history stores' cache unless {@code KAFKA_STATESTORE_CACHE_MAX_BYTES} says otherwise. At Streams'
     * 10 MB default the cache was full and every eviction flushed the dirty entries of a store: on 50,000 reports
     * the summaries' changelog took 20,700 writes (97 MB); at 64 MiB, 7,847 (12.0 MB) (README, Benchmarks).
     */
    public static final long CACHE_MAX_BYTES = 64L * 1024 * 1024;

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpServer api;
    private final HttpServer management;
    private final StoreOwners owners;
    private final AccountStateSerde stateSerde;

    public ClassifierService(ClassifierConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus("classifier-stream");
        Policy live = new Policy(config.livePolicy());
        PolicyDefinition shadowDefinition = config.shadowPolicy();
        Policy shadow = shadowDefinition == null ? null : new Policy(shadowDefinition);
        Topology topology = ClassifierTopology.buildTopology(config.kafka().registryClient(), live, shadow, metrics);
        this.stateSerde = new AccountStateSerde(config.kafka().registryClient());
        LOG.info("classifier topology (policy {}{}) {}", live.version(), shadow == null ? "" : ", shadow " + shadow.version(),
                topology.describe());
        // The API port is bound first: Streams advertises it to the other instances for account lookups.
        this.api = HttpServer.create("classifier-stream", config.httpHost(), config.httpPort(), HttpServer.Limits.api(), metrics)
                .route("GET", ACCOUNTS + "{}", Body.NONE, config.operators().guard(), this::lookup)
                .start();
        this.management = Management.server("classifier-stream", config.managementHost(), config.managementPort(), metrics,
                this::health);
        HostInfo self = new HostInfo(config.advertisedHost(), api.port());
        Properties props = config.kafka().streams("classifier-stream", config.applicationId(), config.stateDir(),
                Topics.CLASSIFIER_DLQ.name(), COMMIT_INTERVAL);
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        props.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(CACHE_MAX_BYTES));
        this.streams = StreamsClient.create(topology, props);
        this.owners = new StoreOwners(streams, ClassifierTopology.HISTORY_STORE, self);
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
    }

    @Override
    public void start() {
        streams.start();
        management.start();
    }

    @Override
    public Health health() {
        return Health.of(streams.state() == KafkaStreams.State.RUNNING);
    }

    @Override
    public int httpPort() {
        return api.port();
    }

    @Override
    public int managementPort() {
        return management.port();
    }

    private CompletionStage<Reply> lookup(Call call) {
        String accountId = call.pathParam();
        if (!Limits.isId(accountId)) {
            return CompletableFuture.completedFuture(Reply.error(400, "INVALID_FIELD", "accountId", "an account id is " + Limits.ID_RULE));
        }
        // every instance that answers or forwards audits the lookup: no query parameter can skip the audit line
        Operators.audit(call.attribute(Operators.OPERATOR), "looked up account", accountId, call.remoteAddress());
        return owners.route(call, accountId, local -> {
            AccountState state = SplitHistory.readOnly(name -> streams.store(StoreQueryParameters.fromNameAndType(name,
                    QueryableStoreTypes.<String, byte[]>keyValueStore())), stateSerde).full(accountId);
            return state == null ? Reply.error(404, "UNKNOWN_ACCOUNT", "no history for this account") : Reply.json(200, view(state));
        });
    }

    static Map<String, Object> view(AccountState state) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("accountId", state.getAccountId());
        view.put("status", state.getStatus().name());
        view.put("strikes", state.getStrikes().stream().map(strike -> Map.of(
                "decisionId", strike.getDecisionId(),
                "category", String.valueOf(strike.getCategory()),
                "at", strike.getAt().toString())).toList());
        view.put("openIncidents", state.getIncidents().stream().filter(i -> i.getState() == IncidentState.UNDER_REVIEW)
                .map(i -> Map.of("incidentId", i.getIncidentId(), "reports", i.getReportIds().size(),
                        "firstReportedAt", i.getFirstReportedAt().toString())).toList());
        List<String> recent = state.getRecentDecisionIds();
        view.put("recentDecisions", recent.subList(Math.max(0, recent.size() - 10), recent.size()));
        view.put("identifiers", state.getIdentifiers().size());
        return view;
    }

    @Override
    public void close() {
        api.close();
        StreamsClient.close(streams, Duration.ofSeconds(15));
        management.close();
        streamsMetrics.close();
    }
}
