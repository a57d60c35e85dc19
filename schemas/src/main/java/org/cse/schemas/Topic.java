package org.cse.schemas;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;

/**
 * One topic of the pipeline: its name, key and value serdes, and how it is created. The only place a
 * topic's name is written; services, topic creation and the docs all read it from {@link Topics}.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class Topic<K, V> {
    /** Cleanup policy of a topic. */
    public enum Cleanup { DELETE, COMPACT }

    private final String name;
    private final Serde<K> keySerde;
    private final Class<? extends SpecificRecord> valueRecord;
    private final Function<SchemaRegistry, Serde<V>> valueSerde;
    private final int partitions;
    private final Cleanup cleanup;
    private final Duration retention;
    private final String description;

    private Topic(String name, Serde<K> keySerde, Class<? extends SpecificRecord> valueRecord,
                  Function<SchemaRegistry, Serde<V>> valueSerde, int partitions, Cleanup cleanup,
                  Duration retention, String description) {
        this.name = name;
        this.keySerde = keySerde;
        this.valueRecord = valueRecord;
        this.valueSerde = valueSerde;
        this.partitions = partitions;
        this.cleanup = cleanup;
        this.retention = retention;
        this.description = description;
    }

    /** A topic keyed by a string whose values are Avro records in the Confluent wire format. */
    static <V extends SpecificRecord> Topic<String, V> avro(String name, Class<V> type, int partitions, Cleanup cleanup,
                                                           Duration retention, String description) {
        return new Topic<>(name, Serdes.String(), type, registry -> new RegistryAvroSerde<>(registry, type, true),
                partitions, cleanup, retention, description);
    }

    /** A topic of raw bytes (raw submissions, dead letters): its content is not trusted to parse. */
    static <K> Topic<K, byte[]> bytes(String name, Serde<K> keySerde, int partitions, Duration retention, String description) {
        return new Topic<>(name, keySerde, null, registry -> Serdes.ByteArray(), partitions, Cleanup.DELETE, retention,
                description);
    }

    public String name() {
        return name;
    }

    public Serde<K> keySerde() {
        return keySerde;
    }

    /** The value serde; Avro topics read and write their schema through the given registry. */
    public Serde<V> valueSerde(SchemaRegistry registry) {
        return valueSerde.apply(registry);
    }

    /** The Avro schema of the values, for registration and compatibility checks; empty for byte topics. */
    public Optional<Schema> valueSchema() {
        return Optional.ofNullable(valueRecord).map(type -> SpecificData.get().getSchema(type));
    }

    public int partitions() {
        return partitions;
    }

    public Cleanup cleanup() {
        return cleanup;
    }

    public Duration retention() {
        return retention;
    }

    public String description() {
        return description;
    }

    /** The topic as the admin client creates it. */
    public NewTopic newTopic(short replicationFactor) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                cleanup == Cleanup.COMPACT ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
        configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(Topics.MAX_MESSAGE_BYTES));
        if (cleanup == Cleanup.DELETE) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention.toMillis()));
        }
        // acks=all is only as good as the ISR it waits for: with replicas, demand two in sync.
        if (replicationFactor > 1) {
            configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        }
        return new NewTopic(name, partitions, replicationFactor).configs(configs);
    }

    @Override
    public String toString() {
        return name;
    }
}
