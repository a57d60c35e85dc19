package org.cse.runtime.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serde of a service's private store: Avro single-object encoding (a marker, the schema's
 * fingerprint, the body), no registry (a store is no one else's business, and the services may not
 * register schemas). Earlier released schemas of the record, listed as resources, still decode, so a
 * release that changes the schema reads the store the previous one wrote.
 *
 * @param <T> a generated Avro record
 */
public final class SingleObjectSerde<T extends SpecificRecord> implements Serde<T> {
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    /**
     * @param type the generated class
     * @param history classpath resources of the earlier released schemas (e.g. {@code /delivery-history/ActionItem.v1.avsc})
     */
    public SingleObjectSerde(Class<T> type, List<String> history) {
        Schema schema = SpecificData.get().getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(SpecificData.getForClass(type), schema);
        this.decoder = new BinaryMessageDecoder<>(SpecificData.getForClass(type), schema);
        for (String resource : history) {
            decoder.addSchema(load(resource));
        }
    }

    public static Schema load(String resource) {
        try (InputStream in = SingleObjectSerde.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteBuffer buffer = encoder.encode(value);
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return bytes;
            } catch (IOException e) {
                throw new SerializationException("cannot encode a " + value.getSchema().getName() + " for " + topic, e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return decoder.decode(bytes);
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot decode a store entry from " + topic + ": " + e.getMessage(), e);
            }
        };
    }
}
