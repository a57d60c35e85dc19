package org.cse.localstack;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a topic from the beginning, committed records only, for tests and the local run's narration.
 */
public final class TopicReader<K, V> implements AutoCloseable {
    private final KafkaConsumer<K, V> consumer;
    private final List<ConsumerRecord<K, V>> seen = new ArrayList<>();
    private int unreadable;

    /** @param clientConfig where the broker is and who reads (e.g. {@code LocalStack.clientConfig()}) */
    public TopicReader(Map<String, Object> clientConfig, String topic, Deserializer<K> keys, Deserializer<V> values) {
        Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "reader-" + topic + "-" + UUID.randomUUID().toString().substring(0, 8));
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(config, keys, values);
        // every partition, from the beginning, without a consumer group: nothing to join, nothing to leave
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Polls once and returns what arrived. A record the deserializers cannot read (a test's hostile
     * input, say) is stepped over and counted, so a reader never sticks on it.
     */
    public List<ConsumerRecord<K, V>> poll(Duration timeout) {
        List<ConsumerRecord<K, V>> batch = new ArrayList<>();
        try {
            consumer.poll(timeout).forEach(batch::add);
        } catch (RecordDeserializationException e) {
            unreadable++;
            consumer.seek(e.topicPartition(), e.offset() + 1);
        }
        seen.addAll(batch);
        return batch;
    }

    /** Records stepped over because they could not be deserialized. */
    public int unreadable() {
        return unreadable;
    }

    /**
     * Polls until {@code count} records matching {@code filter} have been seen (in this reader's life),
     * or the timeout passes; returns the matches either way.
     */
    public List<ConsumerRecord<K, V>> awaitMatching(Predicate<ConsumerRecord<K, V>> filter, int count, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline) && matching(filter).size() < count) {
            poll(Duration.ofMillis(200));
        }
        return matching(filter);
    }

    /** Polls for {@code quiet} more and returns every match seen: to check that nothing more arrives. */
    public List<ConsumerRecord<K, V>> settle(Predicate<ConsumerRecord<K, V>> filter, Duration quiet) {
        Instant deadline = Instant.now().plus(quiet);
        while (Instant.now().isBefore(deadline)) {
            poll(Duration.ofMillis(200));
        }
        return matching(filter);
    }

    public List<ConsumerRecord<K, V>> matching(Predicate<ConsumerRecord<K, V>> filter) {
        return seen.stream().filter(filter).toList();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
