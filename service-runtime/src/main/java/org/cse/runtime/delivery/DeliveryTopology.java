package org.cse.runtime.delivery;

import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * The shape every delivery topology shares: decisions and results in (as bytes, decoded by the
 * processor), one processor named {@link #PROCESSOR} with the item store, the wake-up stores and the
 * parked index, and the dead-letter sink. A service adds its own sinks (commands, outcomes) and stores
 * to the processor by name.
 */
public final class DeliveryTopology {
    public static final String PROCESSOR = "deliveries";

    private DeliveryTopology() {
    }

    /**
     * @param globals adds global stores (the DSL's {@code addGlobalStore} runs their processor on restore too, which
     *        the Processor API's does not)
     */
    public static <I extends SpecificRecord> Topology build(DeliveryProcessor.Wiring wiring, Serde<I> items,
                                                            ProcessorSupplier<byte[], byte[], Object, Object> processor,
                                                            Consumer<StreamsBuilder> globals) {
        StreamsBuilder builder = new StreamsBuilder();
        globals.accept(builder);
        Topology topology = builder.build();
        topology.addSource("decisions-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), wiring.decisionsTopic());
        topology.addSource("results-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), wiring.resultsTopic());
        topology.addProcessor(PROCESSOR, processor, "decisions-source", "results-source");
        DeliveryProcessor.Stores stores = wiring.stores();
        // caching folds the many updates an item gets within one commit interval into one changelog record
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(stores.items()), Serdes.String(), items)
                .withCachingEnabled(), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(stores.wakeups()), Serdes.String(),
                Serdes.Long()).withCachingEnabled(), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(stores.wakeupQueue()), Serdes.String(),
                Serdes.String()).withCachingEnabled(), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(stores.parked()), Serdes.String(),
                Serdes.String()), PROCESSOR);
        topology.addSink(DeliveryProcessor.DEAD_LETTERS, wiring.deadLetterTopic(), new ByteArraySerializer(), new ByteArraySerializer(),
                PROCESSOR);
        return topology;
    }
}
