package org.cse.localstack;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.cse.runtime.AccessControl;
import org.cse.runtime.Provisioning;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's infrastructure on one machine: a real Kafka broker and a real schema registry,
 * started side by side, with every topic of the catalogue created, every value schema registered
 * under BACKWARD compatibility, a SCRAM user for every principal of the ACL file
 * ({@code deploy/kafka/acls.yaml}) and its ACLs applied, as a deployment's provisioning does. Shared by
 * the integration tests and the local run.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    private final KafkaBroker broker;
    private final SchemaRegistryServer registry;
    private final Duration startup;
    private final Map<String, KafkaUser> users = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Closes the stack when the JVM exits, for a caller that never does (a test, a bench cut short). */
    private final Thread closeOnExit = new Thread(this::close, "local-stack-shutdown");

    private LocalStack(KafkaBroker broker, SchemaRegistryServer registry, Duration startup) {
        this.broker = broker;
        this.registry = registry;
        this.startup = startup;
    }

    /** The pipeline's ACL file, as packaged from deploy/kafka/acls.yaml. */
    public static AccessControl accessControl() {
        try (var in = LocalStack.class.getResourceAsStream("kafka/acls.yaml")) {
            if (in == null) {
                throw new IllegalStateException("kafka/acls.yaml missing: build the local-stack module with Maven first");
            }
            return AccessControl.parse(in, "deploy/kafka/acls.yaml");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
        Runtime.getRuntime().addShutdownHook(stack.closeOnExit);
        try {
            stack.createTopics(Topics.ALL);
            stack.registerSchemas(Topics.ALL);
            AccessControl acls = accessControl();
            try (Admin admin = stack.admin()) {
                for (String principal : acls.grants().keySet()) {
                    stack.createUser(admin, principal);
                }
                AccessControl.apply(admin, acls.bindings());
            }
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

    /** Client settings of the super user: for tests that read anything or write what no service may. */
    public Map<String, Object> clientConfig() {
        return broker.adminClientConfig();
    }

    /** The super user's client settings and more: {@code clientConfigWith(ProducerConfig.ACKS_CONFIG, "all")}. */
    public Map<String, Object> clientConfigWith(Object... keysAndValues) {
        Map<String, Object> config = new java.util.HashMap<>(clientConfig());
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            config.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return config;
    }

    /** Client settings of one of the stack's principals. */
    public Map<String, Object> clientConfig(String principal) {
        return user(principal).clientConfig(bootstrapServers());
    }

    /** The SCRAM user of a principal of the ACL file (or a publisher added with {@link #addPublisher}). */
    public KafkaUser user(String principal) {
        KafkaUser user = users.get(principal);
        if (user == null) {
            throw new IllegalArgumentException("no Kafka user " + principal + " in the local stack");
        }
        return user;
    }

    /** What a service of this principal is given: where Kafka and the registry are, and its credentials. */
    public Map<String, String> serviceEnvironment(String principal) {
        Map<String, String> env = new java.util.HashMap<>(user(principal).environment(bootstrapServers()));
        env.put("SCHEMA_REGISTRY_URL", schemaRegistryUrl());
        return env;
    }

    /** A service's environment: {@link #serviceEnvironment} and these variables ({@code name, value, name, value...}). */
    public Map<String, String> environment(String principal, String... namesAndValues) {
        Map<String, String> env = serviceEnvironment(principal);
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            env.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return env;
    }

    /**
     * Registers a publisher with Kafka: its user, its raw topic {@code cse.reports.raw.v1.from.<id>}, and
     * the ACL letting it write there and nowhere else. Idempotent.
     */
    public synchronized KafkaUser addPublisher(String publisher) {
        if (users.containsKey(publisher)) {
            return users.get(publisher);
        }
        try (Admin admin = admin()) {
            createTopics(List.of(Topics.rawReports(publisher)));
            KafkaUser user = createUser(admin, publisher);
            AccessControl.apply(admin, AccessControl.publisherBindings(publisher));
            return user;
        }
    }

    private KafkaUser createUser(Admin admin, String name) {
        KafkaUser user = KafkaUser.random(name);
        Provisioning.upsertUser(admin, name, user.password());
        users.put(name, user);
        return user;
    }

    /** Reads a catalogue topic from the beginning with its own serdes, as the super user. */
    public <K, V> TopicReader<K, V> reader(Topic<K, V> topic) {
        return new TopicReader<>(clientConfig(), topic.name(), topic.keySerde().deserializer(),
                topic.valueSerde(registryClient()).deserializer());
    }

    /** A producer (acks=all) for a catalogue topic with its own serdes, as the super user. */
    public <K, V> KafkaProducer<K, V> producer(Topic<K, V> topic) {
        Map<String, Object> config = new java.util.HashMap<>(clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(config, topic.keySerde().serializer(), topic.valueSerde(registryClient()).serializer());
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
        return Admin.create(clientConfig());
    }

    /**
     * Leaves a consumer group as a service that stopped would: committed just past {@code record} on its
     * partition and at the end of every other partition of that topic (for upgrade tests).
     */
    public void commitGroupPast(String group, String topic, int partitions, RecordMetadata record) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = new java.util.HashMap<>();
            admin.listOffsets(ends).all().get(10, TimeUnit.SECONDS).forEach((partition, info) -> offsets.put(partition,
                    new OffsetAndMetadata(partition.partition() == record.partition() ? record.offset() + 1 : info.offset())));
            admin.alterConsumerGroupOffsets(group, offsets).all().get(10, TimeUnit.SECONDS);
        }
    }

    /** Creates the topics (one replica: a single broker); existing ones are left as they are. */
    public void createTopics(List<Topic<?, ?>> topics) {
        createTopics(clientConfig(), topics);
    }

    /** Creates the topics on any single-broker cluster (a second broker of a fault test, say), with these client settings. */
    public static void createTopics(Map<String, Object> adminConfig, List<Topic<?, ?>> topics) {
        try (Admin admin = Admin.create(adminConfig)) {
            Provisioning.createTopics(admin, topics, (short) 1);
        }
    }

    /** Registers every value schema and sets its subject to BACKWARD, as a deployment does before services start. */
    public void registerSchemas(List<Topic<?, ?>> topics) {
        Provisioning.registerSchemas(registryClient(), topics);
    }

    /**
     * For a caller whose own shutdown hook closes this stack after the services running on it: the JVM runs
     * shutdown hooks at once and in no set order, so the stack's own hook could stop the broker under services
     * still committing and leaving their groups (the local run then waited 15 s on each Streams client).
     */
    public void closeOnlyWhenAsked() {
        Runtime.getRuntime().removeShutdownHook(closeOnExit);
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
