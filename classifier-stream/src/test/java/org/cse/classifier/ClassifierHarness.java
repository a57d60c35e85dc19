package org.cse.classifier;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.events.Decision;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.TempDirs;
import org.cse.localstack.TopicReader;
import org.cse.runtime.Env;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;

/** What the classifier's broker tests share: a producer for any input topic, a running classifier, a decisions reader. */
final class ClassifierHarness implements AutoCloseable {
    private final LocalStack stack;
    private final KafkaProducer<String, SpecificRecord> producer;
    final LocalCredentials credentials;
    /** The credential files and every classifier's state folder: deleted on close. */
    private final java.nio.file.Path temp;

    ClassifierHarness(LocalStack stack) {
        this.stack = stack;
        try {
            this.temp = Files.createTempDirectory("classifier-it");
            this.credentials = LocalCredentials.create(temp);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.producer = new KafkaProducer<>(stack.clientConfigWith(ProducerConfig.ACKS_CONFIG, "all"), Serdes.String().serializer(), new AnySerializer(stack));
    }

    /** Starts a classifier with its own state directory and waits until it is running. */
    ClassifierService startClassifier(String applicationId) throws Exception {
        ClassifierService service = new ClassifierService(ClassifierConfig.from(new Env(stack.environment("classifier",
                "CLASSIFIER_OPERATORS_FILE", credentials.operatorsFile().toString(),
                "CLASSIFIER_HTTP_HOST", "127.0.0.1",
                "CLASSIFIER_HTTP_PORT", "0",
                "CLASSIFIER_MANAGEMENT_HOST", "127.0.0.1",
                "CLASSIFIER_MANAGEMENT_PORT", "0",
                "CLASSIFIER_STATE_DIR", Files.createTempDirectory(temp, "state").toString(),
                "CLASSIFIER_APPLICATION_ID", applicationId))));
        service.start();
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        return service;
    }

    /** Sends one record and waits for the broker's acknowledgement. */
    <V extends SpecificRecord> void send(Topic<String, V> topic, String key, V value) throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Sends without waiting; {@link #flush()} waits for all. */
    <V extends SpecificRecord> void sendAsync(Topic<String, V> topic, String key, V value) {
        producer.send(new ProducerRecord<>(topic.name(), key, value));
    }

    void flush() {
        producer.flush();
    }

    TopicReader<String, Decision> decisions() {
        return stack.reader(Topics.DECISIONS);
    }

    @Override
    public void close() {
        producer.close();
        TempDirs.delete(temp); // after the classifiers it started are closed
    }

    /** Serializes any of the pipeline's records with the topic's own serde. */
    private static final class AnySerializer implements Serializer<SpecificRecord> {
        private final LocalStack stack;
        private final Map<String, Serializer<SpecificRecord>> byTopic = new HashMap<>();

        AnySerializer(LocalStack stack) {
            this.stack = stack;
        }

        @Override
        @SuppressWarnings("unchecked")
        public byte[] serialize(String topic, SpecificRecord data) {
            Serializer<SpecificRecord> serializer = byTopic.computeIfAbsent(topic,
                    name -> (Serializer<SpecificRecord>) Topics.ALL.stream().filter(t -> t.name().equals(name)).findFirst()
                            .orElseThrow(() -> new IllegalArgumentException("not a catalogue topic: " + name))
                            .valueSerde(stack.registryClient()).serializer());
            return serializer.serialize(topic, data);
        }
    }
}
