package org.cse.runtime.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Function;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the previous release of a delivery service left behind: it kept its state in topics
 * ({@code cse.referrals.v1}, {@code cse.enforcement.outcomes.v1}) rather than in Streams stores. A
 * global store indexes those records (by account and item), and is fully loaded before the first
 * decision is processed (global stores are), so a decision the previous release had handled but not
 * committed is recognised, never delivered twice. Records this release writes to the same topics carry
 * the {@link #WRITER} header and are left out: the index holds the previous release's work alone.
 */
public final class EarlierRelease {
    private static final Logger LOG = LoggerFactory.getLogger(EarlierRelease.class);
    /** Header naming the service that wrote a record (absent on records of earlier releases). */
    public static final String WRITER = "cse.writer";

    private EarlierRelease() {
    }

    /** Headers of a record this release writes to a topic the previous one wrote too. */
    public static Headers writtenBy(String service) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(WRITER, service.getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    /**
     * Adds the global index of a topic's earlier records.
     *
     * @param entry the index entry of a record (key {@link ItemKeys#of}), or null to leave it out
     */
    public static <V> void index(StreamsBuilder builder, String store, String topic, Deserializer<V> values,
                                 Function<V, KeyValue<String, String>> entry) {
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.String())
                        .withLoggingDisabled(),
                topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(store + "-source"),
                () -> new Indexer<>(store, values, entry));
    }

    private static final class Indexer<V> implements Processor<byte[], byte[], Void, Void> {
        private final String storeName;
        private final Deserializer<V> values;
        private final Function<V, KeyValue<String, String>> entry;
        private ProcessorContext<Void, Void> context;
        private KeyValueStore<String, String> store;

        Indexer(String storeName, Deserializer<V> values, Function<V, KeyValue<String, String>> entry) {
            this.storeName = storeName;
            this.values = values;
            this.entry = entry;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.store = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Header writer = record.headers().lastHeader(WRITER);
            if (writer != null || record.value() == null) {
                return;
            }
            V value = null;
            while (value == null) {
                try {
                    value = values.deserialize(context.recordMetadata().map(m -> m.topic()).orElse(""), record.value());
                } catch (RuntimeException e) {
                    if (!SchemaRegistryException.isOutage(e)) {
                        LOG.warn("{}: an earlier record at {} cannot be read and is left out of the index: {}", storeName,
                                context.recordMetadata().map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("?"),
                                e.getMessage());
                        return;
                    }
                    // the global thread has nothing else to do: wait for the registry rather than lose an entry
                    LOG.warn("{}: waiting for the schema registry", storeName);
                    try {
                        Thread.sleep(Duration.ofSeconds(2).toMillis());
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
            KeyValue<String, String> indexed = entry.apply(value);
            if (indexed != null) {
                store.put(indexed.key, indexed.value);
            }
        }
    }
}
