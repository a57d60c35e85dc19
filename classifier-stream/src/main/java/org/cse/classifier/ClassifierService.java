package org.cse.classifier;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.cse.runtime.HttpService;
import org.cse.runtime.Metrics;
import org.cse.runtime.Service;
import org.cse.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ClassifierTopology} with health and metrics. In: reports, account events. Out:
 * decisions, review requests, dead letters. Ready when Streams is RUNNING.
 */
public final class ClassifierService implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpService http;

    public ClassifierService(ClassifierConfig config) {
        PrometheusMeterRegistry metrics = Metrics.prometheus("classifier-stream");
        Policy policy = new Policy(config.highPriorityScore());
        Topology topology = ClassifierTopology.buildTopology(config.kafka().registryClient(), policy);
        LOG.info("classifier topology (policy {}) {}", policy.version(), topology.describe());
        this.streams = new KafkaStreams(topology,
                config.kafka().streams(config.applicationId(), config.stateDir(), Topics.CLASSIFIER_DLQ.name()));
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        this.http = new HttpService("classifier-stream", config.httpHost(), config.httpPort(), metrics, this::isReady, 4);
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

    @Override
    public void close() {
        http.close();
        streams.close(Duration.ofSeconds(15));
        streamsMetrics.close();
    }
}
