package org.cse.intake;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.cse.events.Report;
import org.cse.runtime.Health;
import org.cse.runtime.Management;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.StreamsClient;
import org.cse.runtime.auth.BearerToken;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;
import org.cse.schemas.ReportFingerprint;
import org.eclipse.jetty.http.HttpFields;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front door. HTTP: {@code POST /v1/reports} (JSON) → {@code cse.reports.v1}, answered 202 only
 * after the broker acknowledged (acks=all, idempotent producer). Kafka: {@code cse.reports.raw.v1} →
 * {@code cse.reports.v1} or {@code cse.reports.raw.v1.dlq} (see {@link RawReportTopology}).
 *
 * <p>No request holds a thread while its body arrives or while the broker acknowledges; a request is
 * answered within {@code INTAKE_PRODUCE_TIMEOUT_MS} even with the broker down (503, carrying the report
 * id to retry with). Readiness is the HTTP channel's: a failure of the raw Kafka channel shows in
 * {@code /health/ready}'s parts and in metrics, but does not take the HTTP channel out of service.
 */
public final class IntakeService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(IntakeService.class);
    private static final int ID_CACHE_ENTRIES = 100_000;
    private static final String PUBLISHER = "publisher";
    static final Duration ID_CACHE_TTL = Duration.ofMinutes(15);

    private final IntakeConfig config;
    private final IntakeMetrics intakeMetrics;
    private final ReportValidator validator;
    private final ReportIdCache storedIds;
    private final Publishers publishers;
    private final KafkaProducer<String, Report> producer;
    private final KafkaClientMetrics producerMetrics;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpServer api;
    private final HttpServer management;
    private volatile boolean accepting;

    public IntakeService(IntakeConfig config) {
        this.config = config;
        PrometheusMeterRegistry metrics = Metrics.prometheus("intake-service");
        this.intakeMetrics = new IntakeMetrics(metrics);
        this.validator = new ReportValidator(Clock.systemUTC());
        this.storedIds = new ReportIdCache(ID_CACHE_ENTRIES, ID_CACHE_TTL, Clock.systemUTC());
        this.publishers = new Publishers(config.publishersFile(), config.publishersReload(), Clock.systemUTC(), metrics);
        intakeMetrics.registerAtStart(publishers.registry().publishers().keySet());
        SchemaRegistry registry = config.kafka().registryClient();
        this.producer = new KafkaProducer<>(producerSettings(config), Topics.REPORTS.keySerde().serializer(),
                Topics.REPORTS.valueSerde(registry).serializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(metrics);
        Topology topology = RawReportTopology.buildTopology(registry, validator, intakeMetrics, publishers::registry);
        LOG.info("raw report topology {}", topology.describe());
        Properties streamsProps = config.kafka().streams("intake-service", config.applicationId(), config.stateDir(),
                Topics.REPORTS_RAW_DLQ.name());
        // a new publisher's raw topic is found by the pattern subscription at the next metadata refresh
        streamsProps.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG), "30000");
        this.streams = StreamsClient.create(topology, streamsProps);
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        Gauge.builder("cse_intake_raw_channel_up", this, service -> service.health().parts()
                        .get("raw-channel") ? 1 : 0)
                .description("1 while the raw Kafka channel's Streams client runs; 0 when it stopped (the HTTP channel stays in service)")
                .register(metrics);
        this.api = HttpServer.create("intake-service", config.httpHost(), config.httpPort(), HttpServer.Limits.api(), metrics, config.tls())
                .route("POST", "/v1/reports", Body.json(config.maxBodyBytes()), this::authenticate, this::handleReport);
        this.management = Management.server("intake-service", config.managementHost(), config.managementPort(), metrics,
                this::health);
    }

    /**
     * The HTTP producer answers within the produce timeout whatever the broker does: {@code send} blocks
     * for metadata at most a fraction of it, and a record not acknowledged in time fails rather than
     * waiting in the buffer (a 503 then means "not acknowledged": retry with the same report id).
     */
    private static Properties producerSettings(IntakeConfig config) {
        Properties props = config.kafka().producer("cse-intake-http");
        int timeout = config.produceTimeoutMs();
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(Math.min(2000, timeout / 2)));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(timeout));
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(timeout - 100));
        return props;
    }

    @Override
    public void start() {
        streams.start();
        management.start();
        api.start();
        accepting = true;
    }

    @Override
    public Health health() {
        KafkaStreams.State raw = streams.state();
        boolean rawUp = raw == KafkaStreams.State.RUNNING || raw == KafkaStreams.State.REBALANCING;
        return new Health(accepting, Map.of("http", accepting, "raw-channel", rawUp));
    }

    @Override
    public int httpPort() {
        return api.port();
    }

    @Override
    public int managementPort() {
        return management.port();
    }

    /**
     * Before a byte of the body is read: who is calling (a client certificate of a registered publisher,
     * or a bearer token), and is it within its rate. 401 with {@code WWW-Authenticate}, or 429 with
     * {@code Retry-After}.
     */
    private Reply authenticate(String method, String path, HttpFields headers, String remote, String clientSubject,
                               Map<String, Object> attributes) {
        PublisherRegistry registry = publishers.registry();
        PublisherRegistry.Publisher publisher = registry.byCertificate(clientSubject);
        if (publisher == null) {
            String token = BearerToken.fromHeader(headers.get("Authorization"));
            publisher = token == null ? null : registry.byToken(token);
        }
        if (publisher == null) {
            intakeMetrics.rejected("http", "UNAUTHENTICATED");
            LOG.info("refused an unauthenticated submission from {}", remote);
            return Reply.error(401, "UNAUTHENTICATED", "a registered publisher's bearer token (or client certificate) is required")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"cse-intake\"");
        }
        if (!publishers.limiters(publisher).all().tryAcquirePermit()) {
            return refuse(429, "RATE_LIMITED", "", "publisher " + publisher.id() + " is over its rate of " + publisher.perSecond()
                    + " reports per second").withHeader("Retry-After", "1");
        }
        attributes.put(PUBLISHER, publisher);
        return null;
    }

    private CompletionStage<Reply> handleReport(Call call) {
        if (!accepting) {
            return done(Reply.error(503, "SHUTTING_DOWN", "intake is stopping; retry on another instance"));
        }
        PublisherRegistry.Publisher publisher = call.attribute(PUBLISHER);
        ReportValidator.Result result = validator.validate(call.body(), publisher.id());
        if (result instanceof ReportValidator.Invalid invalid) {
            return done(refuse(400, invalid.code(), invalid.field(), invalid.reason()));
        }
        Grants.Outcome outcome = Grants.apply(((ReportValidator.Valid) result).report(), publisher);
        if (outcome instanceof Grants.Forbidden forbidden) {
            LOG.warn("publisher {} refused: {} {}", publisher.id(), forbidden.field(), forbidden.message());
            return done(refuse(403, "FORBIDDEN", forbidden.field(), forbidden.message()));
        }
        Grants.Allowed allowed = (Grants.Allowed) outcome;
        if (allowed.confirmed() && !publishers.limiters(publisher).confirmed().tryAcquirePermit()) {
            LOG.warn("publisher {} is over its rate of verified matches", publisher.id());
            return done(refuse(429, "RATE_LIMITED", "", "publisher " + publisher.id() + " is over its rate of "
                    + publisher.confirmedPerMinute() + " verified matches per minute").withHeader("Retry-After", "60"));
        }
        Report report = allowed.report();
        String fingerprint = ReportFingerprint.of(report);
        switch (storedIds.check(report.getReportId(), fingerprint)) {
            case SAME -> {
                intakeMetrics.accepted("http");
                return done(accepted(report));
            }
            case CONFLICT -> {
                return done(refuse(409, "CONFLICT", "reportId", "this report id was used for a report with different content"));
            }
            default -> {
                return store(report, fingerprint);
            }
        }
    }

    private CompletionStage<Reply> store(Report report, String fingerprint) {
        CompletableFuture<Reply> answer = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(Topics.REPORTS.name(), report.getAccountId(), report), (stored, failure) -> {
                if (failure == null) {
                    storedIds.stored(report.getReportId(), fingerprint);
                    intakeMetrics.accepted("http");
                    intakeMetrics.published(report.getSourceService(), report.getReporter().getMatchListVerified());
                    LOG.info("accepted report {} to {}-{}@{}", report.getReportId(), stored.topic(), stored.partition(), stored.offset());
                    answer.complete(accepted(report));
                } else {
                    answer.complete(unavailable(report, failure));
                }
            });
        } catch (RuntimeException e) {
            // metadata not available within max.block.ms, or a registry outage while encoding
            answer.complete(unavailable(report, e));
        }
        // the producer's delivery timeout answers first; this only guards against a callback that never comes
        return answer.completeOnTimeout(null, config.produceTimeoutMs() + 2000L, TimeUnit.MILLISECONDS)
                .thenApply(reply -> reply != null ? reply : unavailable(report, null));
    }

    private Reply accepted(Report report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reportId", report.getReportId());
        body.put("status", "ACCEPTED");
        return Reply.json(202, body);
    }

    private Reply unavailable(Report report, Throwable failure) {
        intakeMetrics.rejected("http", "UNAVAILABLE");
        LOG.error("report {} not acknowledged by the broker: {}", report.getReportId(), failure == null ? "no answer" : failure.toString());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "UNAVAILABLE");
        body.put("reportId", report.getReportId());
        body.put("message", "the report was not acknowledged by the broker: it may or may not be stored. Retry with this "
                + "reportId: a retry of the same report is then taken once");
        return Reply.json(503, body).withHeader("Retry-After", "5");
    }

    private Reply refuse(int status, String code, String field, String message) {
        intakeMetrics.rejected("http", code);
        LOG.info("refused HTTP submission: {} {} {}", status, code, field);
        return Reply.error(status, code, field, message);
    }

    private static CompletionStage<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /** Not ready, stop HTTP intake, flush the producer, close Streams with a timeout. */
    @Override
    public void close() {
        accepting = false;
        api.close();
        producer.close(Duration.ofSeconds(10));
        StreamsClient.close(streams, Duration.ofSeconds(15));
        management.close();
        publishers.close();
        producerMetrics.close();
        streamsMetrics.close();
    }
}
