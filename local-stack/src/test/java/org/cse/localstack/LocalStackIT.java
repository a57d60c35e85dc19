package org.cse.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.config.SerdeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistryClient;
import org.cse.schemas.registry.SchemaRegistryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalStackExtension.class)
class LocalStackIT {

    @Test
    void createsEveryCatalogueTopicWithItsPartitionsAndCleanup(LocalStack stack) throws Exception {
        try (Admin admin = stack.admin()) {
            Set<String> names = Topics.ALL.stream().map(Topic::name).collect(Collectors.toSet());
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            for (Topic<?, ?> topic : Topics.ALL) {
                assertThat(described.get(topic.name()).partitions()).as(topic.name()).hasSize(topic.partitions());
            }
            var config = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.REFERRALS.name())))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void reportOnTheWireStartsWithMagicByteAndARegistryResolvableSchemaId(LocalStack stack) throws Exception {
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        RegistryAvroSerde<Report> serde = new RegistryAvroSerde<>(registry, Report.class, true);
        Report report = report("wire-1", "acct-wire");
        String topic = Topics.REPORTS.name();
        try (KafkaProducer<String, Report> producer = new KafkaProducer<>(producerProps(), new StringSerializer(), serde.serializer())) {
            producer.send(new ProducerRecord<>(topic, report.getAccountId(), report)).get(30, TimeUnit.SECONDS);
        }
        byte[] bytes = consumeOne(stack, topic, "wire-1");

        assertThat(bytes[0]).isEqualTo(RegistryAvroSerde.MAGIC_BYTE);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        HttpResponse<String> schema = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(stack.schemaRegistryUrl() + "/schemas/ids/" + id)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(schema.statusCode()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(schema.body())
                .get("schema").asText()).getFullName()).isEqualTo(Report.class.getName());
        assertThat(serde.deserializer().deserialize(topic, bytes)).isEqualTo(report);
    }

    @Test
    void apicurioSerdeReadsOurRecordsAndWeReadItsRecords(LocalStack stack) {
        String topic = Topics.REPORTS.name();
        Report report = report("interop-1", "acct-interop");
        RegistryAvroSerde<Report> ours = new RegistryAvroSerde<>(new SchemaRegistryClient(stack.schemaRegistryUrl()), Report.class, true);

        Map<String, Object> config = new HashMap<>();
        config.put(SerdeConfig.REGISTRY_URL, stack.registry().apicurioApiUrl());
        // the schema was registered through the Confluent API by the stack: Apicurio finds it through its own
        config.put(SerdeConfig.FIND_LATEST_ARTIFACT, true);
        config.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, true);
        try (AvroKafkaSerializer<Report> theirSerializer = new AvroKafkaSerializer<>();
             AvroKafkaDeserializer<Report> theirDeserializer = new AvroKafkaDeserializer<>()) {
            theirSerializer.configure(config, false);
            theirDeserializer.configure(config, false);

            byte[] writtenByThem = theirSerializer.serialize(topic, report);
            assertThat(writtenByThem[0]).isEqualTo(RegistryAvroSerde.MAGIC_BYTE);
            assertThat(ours.deserializer().deserialize(topic, writtenByThem)).isEqualTo(report);

            byte[] writtenByUs = ours.serializer().serialize(topic, report);
            assertThat(theirDeserializer.deserialize(topic, writtenByUs)).isEqualTo(report);
        }
    }

    @Test
    void unknownSchemaIdIsAClearError(LocalStack stack) {
        RegistryAvroSerde<Report> serde = new RegistryAvroSerde<>(new SchemaRegistryClient(stack.schemaRegistryUrl()), Report.class, true);
        byte[] bogus = ByteBuffer.allocate(8).put((byte) 0).putInt(987_654).put(new byte[] {2, 4, 6}).array();

        assertThatThrownBy(() -> serde.deserializer().deserialize("cse.reports.v1", bogus))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("schema id 987654")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.NOT_FOUND));
        assertThatThrownBy(() -> serde.deserializer().deserialize("cse.reports.v1", "{\"json\":1}".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not the Confluent magic byte");
    }

    @Test
    void registryOutageIsAClearErrorNamingTheRegistry() {
        int closedPort = FreePorts.next();
        SchemaRegistryClient client = new SchemaRegistryClient("http://127.0.0.1:" + closedPort + "/apis/ccompat/v7",
                Duration.ofMillis(500), 2, Duration.ofMillis(10));
        RegistryAvroSerde<Report> serde = new RegistryAvroSerde<>(client, Report.class, true);

        assertThatThrownBy(() -> serde.serializer().serialize("cse.reports.v1", report("outage", "acct")))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageContaining("unreachable")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.UNAVAILABLE));
    }

    @Test
    void registryRefusesABackwardIncompatibleSchema(LocalStack stack) {
        SchemaRegistryClient client = new SchemaRegistryClient(stack.schemaRegistryUrl());
        String subject = RegistryAvroSerde.subject(Topics.REPORTS.name(), false);
        assertThat(client.compatibility(subject)).isEqualTo("BACKWARD");
        // a new required field without a default: old reports could not be read with it
        Schema breaking = SchemaBuilder.record(Report.class.getName()).fields()
                .requiredString("reportId").requiredString("mandatoryNewField").endRecord();

        assertThatThrownBy(() -> client.register(subject, breaking))
                .isInstanceOf(SchemaRegistryException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.INCOMPATIBLE));
    }

    @Test
    void eachPrincipalMayWriteOnlyWhatTheAclFileGrantsIt(LocalStack stack) throws Exception {
        stack.addPublisher("acl-test-publisher");
        assertWriteRefused(stack.clientConfig("intake"), Topics.DECISIONS.name());
        assertWriteRefused(stack.clientConfig("enforcement"), Topics.REPORTS.name());
        assertWriteRefused(stack.clientConfig("review-tool"), Topics.DECISIONS.name());
        assertWriteRefused(stack.clientConfig("acl-test-publisher"), Topics.REPORTS.name());
        assertWriteRefused(stack.clientConfig("acl-test-publisher"), Topics.rawReports("hash-matcher-someone-else").name());
        // ops writes nothing at all: the broker refuses even its producer id (no write grant anywhere)
        assertWriteRefused(stack.clientConfig("ops"), Topics.VERDICTS.name(), org.apache.kafka.common.errors.ClusterAuthorizationException.class);

        assertWriteAllowed(stack.clientConfig("classifier"), Topics.DECISIONS.name());
        assertWriteAllowed(stack.clientConfig("intake"), Topics.REPORTS.name());
        assertWriteAllowed(stack.clientConfig("acl-test-publisher"), Topics.rawReports("acl-test-publisher").name());
    }

    @Test
    void aClientWithoutCredentialsOrWithAWrongPasswordIsRefused(LocalStack stack) {
        Map<String, Object> wrong = new java.util.HashMap<>(stack.clientConfig("intake"));
        wrong.put(org.apache.kafka.common.config.SaslConfigs.SASL_JAAS_CONFIG,
                org.cse.runtime.KafkaSettings.jaas("intake", "not-the-password"));
        wrong.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(wrong, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.REPORTS.name(), new byte[] {1})).get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
        }
        Map<String, Object> plain = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(plain, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.REPORTS.name(), new byte[] {1})).get(10, TimeUnit.SECONDS))
                    .isInstanceOfAny(java.util.concurrent.ExecutionException.class, org.apache.kafka.common.errors.TimeoutException.class);
        }
    }

    private static void assertWriteRefused(Map<String, Object> client, String topic) {
        assertWriteRefused(client, topic, TopicAuthorizationException.class);
    }

    private static void assertWriteRefused(Map<String, Object> client, String topic, Class<? extends Throwable> refusal) {
        Map<String, Object> config = new java.util.HashMap<>(client);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "k".getBytes(), new byte[] {0})).get(15, TimeUnit.SECONDS))
                    .as("writing " + topic).hasCauseInstanceOf(refusal);
        }
    }

    private static void assertWriteAllowed(Map<String, Object> client, String topic) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThat(producer.send(new ProducerRecord<>(topic, "acl-check".getBytes(), new byte[] {0})).get(15, TimeUnit.SECONDS).offset())
                    .isNotNegative();
        }
    }

    @Test
    void closingTheStackLeavesNoBrokerOrRegistryProcess() {
        LocalStack own = LocalStack.start();
        long brokerPid = own.broker().pid();
        long registryPid = own.registry().pid();
        assertThat(ProcessHandle.of(brokerPid)).isPresent();

        own.close();

        assertThat(ProcessHandle.of(brokerPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(ProcessHandle.of(registryPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    static Report report(String reportId, String accountId) {
        return Report.newBuilder()
                .setReportId(reportId)
                .setAccountId(accountId)
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.HASH_MATCH).setMatchList("verified-list")
                        .setMatchListVerified(true).build())
                .setClaimedCategory(Category.VISUAL_DEPICTION)
                .setContent(List.of(ContentRef.newBuilder().setContentId("post-1").setKind(ContentKind.MEDIA)
                        .setHashes(List.of(new ContentHash("MD5", "0123456789abcdef0123456789abcdef"))).build()))
                .setSourceService("test")
                .setReportedAt(Instant.parse("2026-11-25T10:00:00Z"))
                .setReceivedAt(Instant.parse("2026-11-25T10:00:01Z"))
                .build();
    }

    private Map<String, Object> producerProps() {
        return stack.clientConfigWith(ProducerConfig.ACKS_CONFIG, "all");
    }

    private LocalStack stack;

    @org.junit.jupiter.api.BeforeEach
    void remember(LocalStack stack) {
        this.stack = stack;
    }

    private static byte[] consumeOne(LocalStack stack, String topic, String reportIdMarker) {
        Map<String, Object> props = stack.clientConfigWith(ConsumerConfig.GROUP_ID_CONFIG, "wire-check-" + reportIdMarker,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(30);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (new String(record.value(), java.nio.charset.StandardCharsets.ISO_8859_1).contains(reportIdMarker)) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no record " + reportIdMarker + " on " + topic);
    }

}
