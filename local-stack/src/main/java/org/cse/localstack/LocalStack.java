package org.cse.localstack;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's infrastructure on one machine: a real Kafka broker and a real schema registry,
 * started side by side, with every topic of the catalogue created and every value schema registered
 * under BACKWARD compatibility. Shared by the integration tests and the local run.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    private final KafkaBroker broker;
    private final SchemaRegistryServer registry;
    private final Duration startup;
    private volatile boolean closed;

    private LocalStack(KafkaBroker broker, SchemaRegistryServer registry, Duration startup) {
        this.broker = broker;
        this.registry = registry;
        this.startup = startup;
    }

    public static LocalStack start() {
        Instant started = Instant.now();
        CompletableFuture<SchemaRegistryServer> registry = CompletableFuture.supplyAsync(SchemaRegistryServer::start);
        KafkaBroker broker;
        try {
            broker = KafkaBroker.start(null);
        } catch (RuntimeException e) {
            registry.thenAccept(SchemaRegistryServer::close);
            throw e;
        }
        SchemaRegistryServer registryServer;
        try {
            registryServer = registry.get(120, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            broker.close();
            registry.thenAccept(SchemaRegistryServer::close);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("schema registry did not start: " + e.getMessage(), e);
        }
        LocalStack stack = new LocalStack(broker, registryServer, Duration.between(started, Instant.now()));
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "local-stack-shutdown"));
        try {
            stack.createTopics(Topics.ALL);
            stack.registerSchemas(Topics.ALL);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        LOG.info("local stack ready in {} ms: kafka {} registry {}", stack.startup().toMillis(),
                stack.bootstrapServers(), stack.schemaRegistryUrl());
        return stack;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The Confluent-compatible registry API root. */
    public String schemaRegistryUrl() {
        return registry.confluentApiUrl();
    }

    /** A client of the registry's Confluent-compatible API. */
    public SchemaRegistryClient registryClient() {
        return new SchemaRegistryClient(schemaRegistryUrl());
    }

    /** Reads a catalogue topic from the beginning with its own serdes. */
    public <K, V> TopicReader<K, V> reader(Topic<K, V> topic) {
        return new TopicReader<>(bootstrapServers(), topic.name(), topic.keySerde().deserializer(),
                topic.valueSerde(registryClient()).deserializer());
    }

    /** A producer (acks=all) for a catalogue topic with its own serdes. */
    public <K, V> KafkaProducer<K, V> producer(Topic<K, V> topic) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                topic.keySerde().serializer(), topic.valueSerde(registryClient()).serializer());
    }

    public SchemaRegistryServer registry() {
        return registry;
    }

    public KafkaBroker broker() {
        return broker;
    }

    /** Time from start() to broker and registry both answering. */
    public Duration startup() {
        return startup;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates the topics (one replica: a single broker); existing ones are left as they are. */
    public void createTopics(List<Topic<?, ?>> topics) {
        createTopics(bootstrapServers(), topics);
    }

    /** Creates the topics on any single-broker cluster (a second broker of a fault test, say). */
    public static void createTopics(String bootstrapServers, List<Topic<?, ?>> topics) {
        List<NewTopic> newTopics = topics.stream().map(topic -> topic.newTopic((short) 1)).toList();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(newTopics).values().forEach((name, future) -> {
                try {
                    future.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
                    }
                } catch (InterruptedException | TimeoutException e) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
                }
            });
        }
    }

    /** Registers every value schema and sets its subject to BACKWARD, as a deployment does before services start. */
    public void registerSchemas(List<Topic<?, ?>> topics) {
        SchemaRegistryClient client = new SchemaRegistryClient(schemaRegistryUrl());
        for (Topic<?, ?> topic : topics) {
            topic.valueSchema().ifPresent(schema -> {
                String subject = RegistryAvroSerde.subject(topic.name(), false);
                client.register(subject, schema);
                client.setCompatibility(subject, "BACKWARD");
            });
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        registry.close();
        broker.close();
    }
}
