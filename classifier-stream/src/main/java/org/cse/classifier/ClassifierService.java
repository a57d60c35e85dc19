package org.cse.classifier;

import com.sun.net.httpserver.HttpExchange;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.cse.events.AccountState;
import org.cse.events.IncidentState;
import org.cse.runtime.HttpService;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.StreamsClient;
import org.cse.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ClassifierTopology} with health, metrics and the operators' account lookup
 * ({@code GET /v1/accounts/{id}}: status, strikes, open incidents, recent decisions, from the Streams
 * state; a key held by another instance is fetched from it). Ready when Streams is RUNNING.
 */
public final class ClassifierService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);
    private static final String ACCOUNTS = "/v1/accounts/";

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpService http;
    private final HostInfo self;
    private final HttpClient peers = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public ClassifierService(ClassifierConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus("classifier-stream");
        Policy live = new Policy(config.livePolicy());
        PolicyDefinition shadowDefinition = config.shadowPolicy();
        Policy shadow = shadowDefinition == null ? null : new Policy(shadowDefinition);
        Topology topology = ClassifierTopology.buildTopology(config.kafka().registryClient(), live, shadow, metrics);
        LOG.info("classifier topology (policy {}{}) {}", live.version(), shadow == null ? "" : ", shadow " + shadow.version(),
                topology.describe());
        // The HTTP port is bound first: Streams advertises it to the other instances for account lookups.
        this.http = new HttpService("classifier-stream", config.httpHost(), config.httpPort(), metrics, this::isReady, 4);
        this.self = new HostInfo(config.advertisedHost(), http.port());
        Properties props = config.kafka().streams(config.applicationId(), config.stateDir(), Topics.CLASSIFIER_DLQ.name());
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        this.streams = StreamsClient.create(topology, props);
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        http.route(ACCOUNTS, this::lookup);
    }

    @Override
    public void start() {
        streams.start();
        http.start();
    }

    @Override
    public boolean isReady() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    @Override
    public int httpPort() {
        return http.port();
    }

    private void lookup(HttpExchange exchange) throws IOException {
        String accountId = URLDecoder.decode(exchange.getRequestURI().getRawPath().substring(ACCOUNTS.length()), StandardCharsets.UTF_8);
        if (!"GET".equals(exchange.getRequestMethod()) || accountId.isBlank() || accountId.contains("/")) {
            HttpService.respondJson(exchange, 400, Map.of("error", "BAD_REQUEST", "message", "use GET /v1/accounts/{accountId}"));
            return;
        }
        boolean localOnly = "local=true".equals(exchange.getRequestURI().getQuery());
        try {
            KeyQueryMetadata owner = streams.queryMetadataForKey(ClassifierTopology.HISTORY_STORE, accountId, Serdes.String().serializer());
            if (owner == null || owner == KeyQueryMetadata.NOT_AVAILABLE) {
                HttpService.respondJson(exchange, 503, Map.of("error", "REBALANCING", "message", "state is moving; retry shortly"));
                return;
            }
            if (!localOnly && !owner.activeHost().equals(self)) {
                forward(exchange, owner.activeHost(), accountId);
                return;
            }
            ReadOnlyKeyValueStore<String, AccountState> store = streams.store(StoreQueryParameters.fromNameAndType(
                    ClassifierTopology.HISTORY_STORE, QueryableStoreTypes.<String, AccountState>keyValueStore()));
            AccountState state = store.get(accountId);
            if (state == null) {
                HttpService.respondJson(exchange, 404, Map.of("error", "UNKNOWN_ACCOUNT", "message", "no history for this account"));
                return;
            }
            HttpService.respondJson(exchange, 200, view(state));
        } catch (InvalidStateStoreException e) {
            HttpService.respondJson(exchange, 503, Map.of("error", "REBALANCING", "message", "state is moving; retry shortly"));
        }
    }

    private void forward(HttpExchange exchange, HostInfo owner, String accountId) throws IOException {
        try {
            HttpResponse<byte[]> answer = peers.send(HttpRequest.newBuilder(URI.create("http://" + owner.host() + ":" + owner.port()
                    + ACCOUNTS + URLEncoder.encode(accountId, StandardCharsets.UTF_8) + "?local=true"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofByteArray());
            HttpService.respond(exchange, answer.statusCode(), "application/json", answer.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            HttpService.respondJson(exchange, 503, Map.of("error", "UNAVAILABLE", "message", "interrupted"));
        } catch (IOException e) {
            HttpService.respondJson(exchange, 502, Map.of("error", "OWNER_UNREACHABLE",
                    "message", "the instance holding this account (" + owner.host() + ":" + owner.port() + ") did not answer"));
        }
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
        http.close();
        StreamsClient.close(streams, Duration.ofSeconds(15));
        streamsMetrics.close();
    }
}
