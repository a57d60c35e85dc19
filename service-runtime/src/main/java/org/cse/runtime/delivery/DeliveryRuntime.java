package org.cse.runtime.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;
import org.cse.events.DeliveryResult;
import org.cse.runtime.Health;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.Management;
import org.cse.runtime.Service;
import org.cse.runtime.StoreOwners;
import org.cse.runtime.StreamsClient;
import org.cse.runtime.http.HttpServer;
import org.cse.schemas.Topic;
import org.cse.schemas.registry.SchemaRegistry;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A delivery service's running parts, wired alike for enforcement and escalation: the Streams state
 * machine, the executor of its commands, the operators' API (deliveries lookup and replay) and the
 * management port. Ready when Streams is RUNNING and the executor polls.
 *
 * <p>Shutdown order: the API, the executor (it lets the commands in flight finish and publishes their
 * results), Streams, then the HTTP client.
 *
 * @param <C> the command record
 * @param <I> the item record of the state machine's store
 */
public final class DeliveryRuntime<C extends SpecificRecord, I extends SpecificRecord> implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryRuntime.class);

    /** What differs between the services. */
    public record Parts<C, I>(String service, Topology topology, Topic<String, C> commands, Topic<String, DeliveryResult> results,
                              String deadLetterTopic, DeliveryApi.Items<I> items, HttpClient http, CommandExecutor.Calls<C> calls) {}

    private final String service;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final CommandExecutor<C> executor;
    private final KafkaProducer<byte[], byte[]> replays;
    private final HttpServer api;
    private final HttpServer management;
    /**
     * The state machines' commit interval unless {@code KAFKA_COMMIT_INTERVAL_MS} sets one. An item
     * changes at every step of its delivery; with calls slower than the interval (NCMEC's 200 ms) each
     * change was its own changelog write and transaction at 100 ms, and the pipeline held 150/s with
     * realistic latencies where it held 200/s at 500 ms (README, Benchmarks). It costs each step up to
     * half a second of latency, which a delivery measured in seconds can spare; the classifier keeps 100 ms.
     */
    static final java.time.Duration COMMIT_INTERVAL = java.time.Duration.ofMillis(500);
    private final HttpClient http;

    public DeliveryRuntime(KafkaSettings kafka, DeliverySettings settings, SchemaRegistry registry, PrometheusMeterRegistry metrics,
                           Parts<C, I> parts) {
        this.service = parts.service();
        this.http = parts.http();
        LOG.info("{} topology {}", service, parts.topology().describe());
        // the API port is bound first: Streams advertises it to the other instances for lookups
        this.api = HttpServer.create(service, settings.httpHost(), settings.httpPort(), HttpServer.Limits.api(), metrics);
        HostInfo self = new HostInfo(settings.advertisedHost(), api.start().port());
        Properties props = kafka.streams(service, settings.applicationId(), settings.stateDir(), parts.deadLetterTopic(), COMMIT_INTERVAL);
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        this.streams = StreamsClient.create(parts.topology(), props);
        Counter rebalances = Counter.builder("cse_delivery_rebalances")
                .description("Times the state machine left RUNNING to rebalance (0 while an API is down: nothing waits inside a poll)")
                .register(metrics);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING && before == KafkaStreams.State.RUNNING) {
                rebalances.increment();
            }
        });
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        this.executor = new CommandExecutor<>(service, kafka, settings.applicationId(), parts.commands().name(),
                parts.results().name(), parts.deadLetterTopic(), parts.commands().valueSerde(registry).deserializer(),
                parts.results().valueSerde(registry).serializer(), settings.maxInFlight(), parts.calls(), metrics);
        this.replays = new KafkaProducer<>(kafka.producer(service + "-replays"), new ByteArraySerializer(), new ByteArraySerializer());
        new DeliveryApi<>(streams, new StoreOwners(streams, parts.items().store(), self), parts.items(), replays, parts.results().name(),
                parts.results().valueSerde(registry).serializer(), settings.applicationId(), Clock.systemUTC()).routes(api, settings.operators());
        this.management = Management.server(service, settings.managementHost(), settings.managementPort(), metrics, this::health);
    }

    @Override
    public void start() {
        streams.start();
        executor.start();
        management.start();
        LOG.info("{} started", service);
    }

    @Override
    public Health health() {
        boolean running = streams.state() == KafkaStreams.State.RUNNING;
        boolean polling = executor.isHealthy();
        return new Health(running && polling, Map.of("state-machine", running, "executor", polling));
    }

    @Override
    public int httpPort() {
        return api.port();
    }

    @Override
    public int managementPort() {
        return management.port();
    }

    public KafkaStreams streams() {
        return streams;
    }

    @Override
    public void close() {
        api.close();
        executor.close();
        StreamsClient.close(streams, Duration.ofSeconds(15));
        replays.close(Duration.ofSeconds(5));
        Outbound.stop(http);
        management.close();
        streamsMetrics.close();
    }
}
