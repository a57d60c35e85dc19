package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hostile-input corpus against the whole pipeline: every HTTP case gets its 4xx with the reason,
 * every record on the raw topic and on each Avro input topic becomes a dead letter with its reason
 * and coordinates in headers; afterwards every service is ready and a normal report is still decided
 * within seconds.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LocalStack stack;
    private LocalPipeline pipeline;

    /** Where a produced record landed: a dead letter names it by these. */
    private record Coordinates(String topic, int partition, long offset) {}

    @BeforeAll
    void start(LocalStack stack) {
        this.stack = stack;
        pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
    }

    @AfterAll
    void stop() {
        pipeline.close();
    }

    @Test
    void everyHostileInputIsRefusedWithAReasonAndThePipelineKeepsWorking() throws Exception {
        HostileCorpus corpus = HostileCorpus.load();
        List<String> failures = new ArrayList<>();

        for (HostileCorpus.HttpCase c : corpus.http) {
            checkHttp(c, failures);
        }
        Map<Coordinates, HostileCorpus.KafkaCase> sent = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(stack.clientConfigWith(ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            int n = 0;
            for (HostileCorpus.KafkaCase c : corpus.raw) {
                byte[] key = ("hostile-raw-" + n++).getBytes(StandardCharsets.UTF_8);
                sent.put(send(producer, c.topic(), key, HostileCorpus.bytes(c.value())), c);
            }
            for (HostileCorpus.KafkaCase c : corpus.avro) {
                byte[] key = c.key() == null ? null : c.key().getBytes(StandardCharsets.UTF_8);
                sent.put(send(producer, c.topic(), key, avroValue(c)), c);
            }
        }
        checkDeadLetters(sent, failures);

        assertThat(failures).as("cases not refused as the corpus expects").isEmpty();
        System.out.printf("hostile corpus: %d cases (HTTP %d, raw topic %d, Avro topics %d): every one refused with its reason%n",
                corpus.size(), corpus.http.size(), corpus.raw.size(), corpus.avro.size());

        assertThat(pipeline.readiness()).isEqualTo("intake=true classifier=true enforcement=true escalation=true");
        String account = "acct-after-corpus-" + UUID.randomUUID();
        Instant posted = Instant.now();
        HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + pipeline.credentials().token("hash-matcher"))
                .POST(HttpRequest.BodyPublishers.ofString(SampleTraffic.HASH_MATCH.replace("acct-1001", account))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).isEqualTo(202);
        // read as bytes: the corpus left garbage on the decisions topic
        try (TopicReader<byte[], byte[]> decisions = new TopicReader<>(stack.clientConfig(), Topics.DECISIONS.name(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            byte[] key = account.getBytes(StandardCharsets.UTF_8);
            assertThat(decisions.awaitMatching(r -> Arrays.equals(key, r.key()), 1, Duration.ofSeconds(20))).hasSize(1);
        }
        System.out.printf("a normal report after the corpus: decided %d ms after the POST%n",
                Duration.between(posted, Instant.now()).toMillis());
    }

    private void checkHttp(HostileCorpus.HttpCase c, List<String> failures) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + c.path())).timeout(Duration.ofSeconds(30))
                    .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(c.body()));
            c.headers().forEach(request::header);
            if (!c.headers().containsKey("Authorization")) {
                request.header("Authorization", "Bearer " + pipeline.credentials().token("user-reports"));
            } else if (c.headers().get("Authorization").isEmpty()) {
                request = HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + c.path())).timeout(Duration.ofSeconds(30))
                        .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(c.body()));
                for (var header : c.headers().entrySet()) {
                    if (!header.getKey().equals("Authorization")) {
                        request.header(header.getKey(), header.getValue());
                    }
                }
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = response.body().isEmpty() ? null : JSON.readTree(response.body());
            boolean ok = response.statusCode() == c.status() && body != null && body.path("message").asText().length() > 0
                    && (c.error() == null || c.error().equals(body.path("error").asText()))
                    && (c.field() == null || c.field().equals(body.path("field").asText()));
            if (!ok) {
                failures.add("HTTP " + c.name() + ": expected " + c.status() + " " + c.error() + " " + c.field() + ", got "
                        + response.statusCode() + " " + response.body());
            }
        } catch (Exception e) {
            failures.add("HTTP " + c.name() + ": no answer: " + e);
        }
    }

    private static Coordinates send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, byte[] value) throws Exception {
        RecordMetadata stored = producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        return new Coordinates(stored.topic(), stored.partition(), stored.offset());
    }

    @SuppressWarnings("unchecked")
    private byte[] avroValue(HostileCorpus.KafkaCase c) {
        JsonNode value = c.value();
        if (c.record() == null) {
            return HostileCorpus.bytes(value);
        }
        SpecificRecord record = HostileCorpus.base(c.record());
        HostileCorpus.apply(record, c.set());
        Topic<String, SpecificRecord> topic = (Topic<String, SpecificRecord>) Topics.ALL.stream()
                .filter(t -> t.name().equals(c.topic())).findFirst().orElseThrow();
        Serializer<SpecificRecord> serializer = topic.valueSerde(stack.registryClient()).serializer();
        byte[] bytes = serializer.serialize(c.topic(), record);
        if (value != null && value.has("validWithTrailing")) {
            return Arrays.copyOf(bytes, bytes.length + value.get("validWithTrailing").asInt());
        }
        if (value != null && value.has("validCutTo")) {
            return Arrays.copyOf(bytes, value.get("validCutTo").asInt());
        }
        return bytes;
    }

    /** Reads each dead-letter topic until every case's dead letters are there (or a minute has passed). */
    private void checkDeadLetters(Map<Coordinates, HostileCorpus.KafkaCase> sent, List<String> failures) {
        Map<String, Map<Coordinates, ConsumerRecord<byte[], byte[]>>> byTopic = new HashMap<>();
        Set<String> deadLetterTopics = new java.util.TreeSet<>();
        sent.values().forEach(c -> deadLetterTopics.addAll(c.deadLetterTopics()));
        for (String topic : deadLetterTopics) {
            Map<Coordinates, ConsumerRecord<byte[], byte[]>> found = new HashMap<>();
            long expected = sent.values().stream().filter(c -> c.deadLetterTopics().contains(topic)).count();
            try (TopicReader<byte[], byte[]> reader = new TopicReader<>(stack.clientConfig(), topic, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                Instant deadline = Instant.now().plusSeconds(90);
                while (Instant.now().isBefore(deadline) && ours(found, sent, topic) < expected) {
                    for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
                        String source = DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC);
                        String partition = DeadLetters.header(record.headers(), DeadLetters.SOURCE_PARTITION);
                        String offset = DeadLetters.header(record.headers(), DeadLetters.SOURCE_OFFSET);
                        if (source != null && partition != null && offset != null) {
                            found.put(new Coordinates(source, Integer.parseInt(partition), Long.parseLong(offset)), record);
                        }
                    }
                }
            }
            byTopic.put(topic, found);
        }
        sent.forEach((where, c) -> {
            for (String topic : c.deadLetterTopics()) {
                ConsumerRecord<byte[], byte[]> dead = byTopic.get(topic).get(where);
                if (dead == null) {
                    failures.add(c.name() + ": no dead letter on " + topic + " for " + where);
                    continue;
                }
                String reason = DeadLetters.header(dead.headers(), DeadLetters.REASON);
                if (!c.reason().equals(reason)) {
                    failures.add(c.name() + ": dead letter on " + topic + " with reason " + reason + " (" 
                            + DeadLetters.header(dead.headers(), DeadLetters.DETAIL) + "), expected " + c.reason());
                }
                if (DeadLetters.header(dead.headers(), DeadLetters.DETAIL) == null || DeadLetters.header(dead.headers(), DeadLetters.SERVICE) == null) {
                    failures.add(c.name() + ": dead letter on " + topic + " without detail or service header");
                }
                if (c.truncated() && !"true".equals(DeadLetters.header(dead.headers(), DeadLetters.TRUNCATED))) {
                    failures.add(c.name() + ": expected a truncated dead letter on " + topic);
                }
            }
        });
    }

    private static long ours(Map<Coordinates, ConsumerRecord<byte[], byte[]>> found, Map<Coordinates, HostileCorpus.KafkaCase> sent,
                             String topic) {
        return sent.entrySet().stream().filter(e -> e.getValue().deadLetterTopics().contains(topic) && found.containsKey(e.getKey())).count();
    }
}
