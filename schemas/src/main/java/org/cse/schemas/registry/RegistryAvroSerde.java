package org.cse.schemas.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for generated Avro records in the Confluent wire format: magic byte 0, the 4-byte
 * big-endian schema id, then the Avro binary body. Subjects follow the topic-name strategy
 * ({@code <topic>-value}, or {@code <topic>-key} for keys), so any Confluent-compatible consumer
 * (Confluent's own serde, Apicurio's, Karapace users) reads what this writes and the other way round.
 *
 * <p>Reading resolves the writer's schema from the id against the reader's generated class, which is
 * what lets schemas evolve backward-compatibly while old records stay readable.
 */
public final class RegistryAvroSerde<T extends SpecificRecord> implements Serde<T> {
    public static final byte MAGIC_BYTE = 0;

    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private final boolean autoRegister;
    private final boolean isKey;
    private final Map<Integer, SpecificDatumReader<T>> readersById = new ConcurrentHashMap<>();
    private final SpecificDatumWriter<T> writer;

    public RegistryAvroSerde(SchemaRegistry registry, Class<T> type, boolean autoRegister) {
        this(registry, SpecificData.get().getSchema(type), autoRegister, false);
    }

    private RegistryAvroSerde(SchemaRegistry registry, Schema readerSchema, boolean autoRegister, boolean isKey) {
        this.registry = registry;
        this.readerSchema = readerSchema;
        this.autoRegister = autoRegister;
        this.isKey = isKey;
        this.writer = new SpecificDatumWriter<>(readerSchema);
    }

    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    @Override
    public void configure(Map<String, ?> configs, boolean key) {
        // configured by construction: the registry client and record type are given explicitly
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> serialize(topic, data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> deserialize(topic, data);
    }

    private byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        String subject = subject(topic, isKey);
        int id = autoRegister ? registry.register(subject, readerSchema) : registry.lookup(subject, readerSchema);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC_BYTE);
            out.write(ByteBuffer.allocate(4).putInt(id).array());
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(data, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + readerSchema.getFullName() + " for topic " + topic
                    + " with schema id " + id + ": " + e.getMessage(), e);
        }
    }

    private T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < 5) {
            throw new SerializationException("record on topic " + topic + " is " + data.length
                    + " bytes: too short for the Confluent wire format (magic byte + 4-byte schema id)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        byte magic = buffer.get();
        if (magic != MAGIC_BYTE) {
            throw new SerializationException("record on topic " + topic + " starts with byte " + magic
                    + ", not the Confluent magic byte 0: not written by a schema-registry serde");
        }
        int id = buffer.getInt();
        SpecificDatumReader<T> reader = readersById.computeIfAbsent(id,
                key -> new SpecificDatumReader<>(registry.schemaById(key), readerSchema));
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
            T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                // a record is its bytes, all of them: bytes after the body mean it is not what it claims to be
                throw new SerializationException("record on topic " + topic + " with schema id " + id
                        + " has bytes after its " + readerSchema.getName() + " body");
            }
            return value;
        } catch (SerializationException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot decode record on topic " + topic + " with schema id " + id
                    + " as " + readerSchema.getFullName() + ": " + e.getMessage(), e);
        }
    }
}
