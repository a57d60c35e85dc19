package org.cse.intake;

import com.sun.net.httpserver.HttpExchange;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.cse.events.Report;
import org.cse.runtime.HttpService;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.runtime.StreamsClient;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The front door. HTTP: {@code POST /v1/reports} (JSON) → {@code cse.reports.v1}, answered 202 only
 * after the broker acknowledged (acks=all, idempotent producer). Kafka: {@code cse.reports.raw.v1} →
 * {@code cse.reports.v1} or {@code cse.reports.raw.v1.dlq} (see {@link RawReportTopology}).
 */
public final class IntakeService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(IntakeService.class);

    private final IntakeConfig config;
    private final PrometheusMeterRegistry metrics;
    private final IntakeMetrics intakeMetrics;
    private final ReportValidator validator;
    private final KafkaProducer<String, Report> producer;
    private final KafkaClientMetrics producerMetrics;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpService http;
    private volatile boolean accepting;

    public IntakeService(IntakeConfig config) {
        this.config = config;
        this.metrics = Metrics.prometheus("intake-service");
        this.intakeMetrics = new IntakeMetrics(metrics);
        this.validator = new ReportValidator(Clock.systemUTC());
        SchemaRegistry registry = config.kafka().registryClient();
        this.producer = new KafkaProducer<>(config.kafka().producer("cse-intake-http"),
                Topics.REPORTS.keySerde().serializer(), Topics.REPORTS.valueSerde(registry).serializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(metrics);
        Topology topology = RawReportTopology.buildTopology(registry, validator, intakeMetrics);
        LOG.info("raw report topology {}", topology.describe());
        this.streams = StreamsClient.create(topology,
                config.kafka().streams(config.applicationId(), config.stateDir(), Topics.REPORTS_RAW_DLQ.name()));
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        this.http = new HttpService("intake-service", config.httpHost(), config.httpPort(), metrics, this::isReady, 8)
                .route("/v1/reports", this::handleReport);
    }

    @Override
    public void start() {
        streams.start();
        http.start();
        accepting = true;
    }

    @Override
    public boolean isReady() {
        return accepting && streams.state() == KafkaStreams.State.RUNNING;
    }

    @Override
    public int httpPort() {
        return http.port();
    }

    private void handleReport(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "POST");
            refuse(exchange, 405, "METHOD_NOT_ALLOWED", "", "use POST");
            return;
        }
        if (!accepting) {
            refuse(exchange, 503, "SHUTTING_DOWN", "", "intake is stopping; retry on another instance");
            return;
        }
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            refuse(exchange, 415, "UNSUPPORTED_MEDIA_TYPE", "", "Content-Type must be application/json");
            return;
        }
        byte[] body = HttpService.readBody(exchange, config.maxBodyBytes());
        if (body == null) {
            refuse(exchange, 413, "BODY_TOO_LARGE", "", "body is larger than " + config.maxBodyBytes() + " bytes");
            return;
        }
        ReportValidator.Result result = validator.validate(body, "http");
        if (result instanceof ReportValidator.Invalid invalid) {
            refuse(exchange, 400, invalid.code(), invalid.field(), invalid.message());
            return;
        }
        Report report = ((ReportValidator.Valid) result).report();
        try {
            RecordMetadata stored = producer.send(new ProducerRecord<>(Topics.REPORTS.name(), report.getAccountId(), report))
                    .get(config.produceTimeoutMs(), TimeUnit.MILLISECONDS);
            intakeMetrics.accepted("http");
            MDC.put("reportId", report.getReportId());
            LOG.info("accepted report {} to {}-{}@{}", report.getReportId(), stored.topic(), stored.partition(), stored.offset());
            MDC.remove("reportId");
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("reportId", report.getReportId());
            answer.put("status", "ACCEPTED");
            HttpService.respondJson(exchange, 202, answer);
        } catch (ExecutionException | TimeoutException e) {
            intakeMetrics.rejected("http", "UNAVAILABLE");
            LOG.error("report {} not stored: {}", report.getReportId(), e.toString());
            refuse(exchange, 503, "UNAVAILABLE", "", "report not stored; retry with the same reportId");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refuse(exchange, 503, "UNAVAILABLE", "", "report not stored; retry with the same reportId");
        }
    }

    private void refuse(HttpExchange exchange, int status, String code, String field, String message) throws IOException {
        if (status < 500) {
            intakeMetrics.rejected("http", code);
            LOG.info("refused HTTP submission: {} {} {}", status, code, field);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("error", code);
        if (!field.isEmpty()) {
            answer.put("field", field);
        }
        answer.put("message", message);
        HttpService.respondJson(exchange, status, answer);
    }

    /** Not ready, stop HTTP intake, flush the producer, close Streams with a timeout. */
    @Override
    public void close() {
        accepting = false;
        http.close();
        producer.close(Duration.ofSeconds(10));
        StreamsClient.close(streams, Duration.ofSeconds(15));
        producerMetrics.close();
        streamsMetrics.close();
    }
}
