package org.cse.classifier;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.classifier.state.AccountState;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;

/**
 * The serde of the classifier's private history store. The history is no one else's business, so it
 * does not go through the schema registry (which the services may only read): it is written in Avro's
 * single-object encoding (a marker, the schema's 64-bit fingerprint, the binary body), and a schema
 * change adds the previous schema to {@link #HISTORY} so that old entries still read. State written before
 * this encoding, in the registry's wire format (first byte 0), is still read through the registry.
 */
final class AccountStateSerde implements Serde<AccountState> {
    private static final BinaryMessageEncoder<AccountState> ENCODER = AccountState.getEncoder();
    /**
     * Every earlier released schema of the history, oldest first (src/main/resources/state-history):
     * v1 was written in the registry's wire format, v2 and v3 in single-object encoding; v3 is the last
     * single-entry layout (the whole history in one value), which SplitHistory splits on first touch. A
     * schema change adds the schema it replaces here, so that entries written before it still decode.
     */
    static final List<String> HISTORY = List.of("AccountState.v1.avsc", "AccountState.v2.avsc", "AccountState.v3.avsc");
    private static final BinaryMessageDecoder<AccountState> DECODER = decoder();

    /** Bytes of the single-object header (marker and schema fingerprint) before the Avro body. */
    static final int HEADER_BYTES = 10;
    /** The state {@link #measure} last encoded on this thread, with its bytes, until the store's serializer takes them. */
    private static final ThreadLocal<Encoded> MEASURED = new ThreadLocal<>();

    private record Encoded(AccountState state, byte[] bytes) {}

    private final Deserializer<AccountState> legacy;

    AccountStateSerde(SchemaRegistry registry) {
        this.legacy = new RegistryAvroSerde<>(registry, AccountState.class, false).deserializer();
    }

    private static BinaryMessageDecoder<AccountState> decoder() {
        BinaryMessageDecoder<AccountState> decoder = AccountState.createDecoder(null);
        for (Schema earlier : history()) {
            decoder.addSchema(earlier);
        }
        return decoder;
    }

    static List<Schema> history() {
        List<Schema> schemas = new ArrayList<>();
        for (String name : HISTORY) {
            try (InputStream in = AccountStateSerde.class.getResourceAsStream("/state-history/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("state-history/" + name + " is missing from the classifier's resources");
                }
                schemas.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return schemas;
    }

    /**
     * The Avro body size of a history (what the size budget counts), encoding it once: the store's
     * serializer then writes these very bytes instead of encoding the same state again (an encoding
     * was a fifth of the classifier's time). Only for a state that does not change before it is written:
     * the serializer takes the bytes when handed the same object, once.
     */
    static int measure(AccountState state) {
        byte[] bytes = encode(state);
        MEASURED.set(new Encoded(state, bytes));
        return bytes.length - HEADER_BYTES;
    }

    private static byte[] encode(AccountState state) {
        try {
            ByteBuffer buffer = ENCODER.encode(state);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new SerializationException("cannot encode the history of account " + state.getAccountId(), e);
        }
    }

    @Override
    public Serializer<AccountState> serializer() {
        return (topic, state) -> {
            if (state == null) {
                return null;
            }
            Encoded measured = MEASURED.get();
            if (measured != null) {
                MEASURED.remove();
                if (measured.state() == state) {
                    return measured.bytes();
                }
            }
            return encode(state);
        };
    }

    @Override
    public Deserializer<AccountState> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length > 0 && bytes[0] == RegistryAvroSerde.MAGIC_BYTE) {
                return legacy.deserialize(topic, bytes);
            }
            try {
                return DECODER.decode(bytes);
            } catch (IOException e) {
                throw new SerializationException("cannot decode an account history from " + topic, e);
            }
        };
    }
}
