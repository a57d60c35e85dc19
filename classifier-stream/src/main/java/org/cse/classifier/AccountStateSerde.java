package org.cse.classifier;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.Strike;
import org.cse.events.Identifier;
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
    /** Avro's single-object encoder for the history, with a datum writer that reuses the bytes of unchanged parts. */
    private static final BinaryMessageEncoder<AccountState> ENCODER = new BinaryMessageEncoder<>(PartsReusingWriter.MODEL,
            AccountState.getClassSchema());
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

    /**
     * Avro's writer of the history, except that a strike or an identifier this thread encoded before is
     * written as the bytes it got then, while every field of it is still the very object it was (or an equal
     * string, number, enum or instant). A busy account's summary holds up to 50 strikes and changes with
     * every decision; encoding it from scratch each time was a fifth of the classifier's stream thread (JFR),
     * mostly in the strikes' strings. The bytes are the same as Avro's own encoder writes
     * ({@code AccountStateSerdeTest}, {@code PolicyPurityTest}). It relies on what the policy already keeps
     * to: a part is never changed in place, so a list inside a strike is never changed in place either (a
     * field set anew is a miss). Per thread it keeps at most {@link #MAX_CACHED_BYTES} of bytes, and the
     * parts they encode.
     */
    static final class PartsReusingWriter extends SpecificDatumWriter<AccountState> {
        /** Encoded parts kept per thread at most, least recently used first out. */
        static final int MAX_CACHED_BYTES = 4 * 1024 * 1024;
        /** The generated classes' model (their logical-type conversions), creating this writer for any schema. */
        static final SpecificData MODEL = model();
        private static final ThreadLocal<Parts> PARTS = ThreadLocal.withInitial(() -> new Parts(MODEL));

        private PartsReusingWriter(Schema schema, SpecificData model) {
            super(schema, model);
        }

        private static SpecificData model() {
            SpecificData generated = SpecificData.getForClass(AccountState.class);
            SpecificData model = new SpecificData(AccountState.class.getClassLoader()) {
                @Override
                public DatumWriter<?> createDatumWriter(Schema schema) {
                    return new PartsReusingWriter(schema, this);
                }
            };
            generated.getConversions().forEach(model::addLogicalTypeConversion);
            return model;
        }

        @Override
        protected void writeRecord(Schema schema, Object datum, Encoder out) throws IOException {
            if (datum instanceof Strike || datum instanceof Identifier) {
                out.writeFixed(PARTS.get().bytes((SpecificRecord) datum, schema));
            } else {
                super.writeRecord(schema, datum, out);
            }
        }

        /** The bytes this thread holds for encoded parts (tests). */
        static long cachedBytes() {
            return PARTS.get().bytes;
        }

        /** This thread's encoded parts, by identity, with the field values they were encoded from. */
        private static final class Parts {
            private final Map<Identity, Part> parts = new LinkedHashMap<>(1024, 0.75f, true);
            private final Map<Schema, SpecificDatumWriter<Object>> writers = new HashMap<>();
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
            private final SpecificData model;
            private long bytes;

            Parts(SpecificData model) {
                this.model = model;
            }

            byte[] bytes(SpecificRecord datum, Schema schema) throws IOException {
                Identity key = new Identity(datum);
                Part part = parts.get(key);
                if (part != null && part.isOf(datum)) {
                    return part.bytes();
                }
                buffer.reset();
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(buffer, null);
                writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s, model)).write(datum, encoder);
                encoder.flush();
                Part fresh = new Part(Part.fields(datum), buffer.toByteArray());
                Part old = parts.put(key, fresh);
                bytes += fresh.bytes().length - (old == null ? 0 : old.bytes().length);
                for (var eldest = parts.values().iterator(); bytes > MAX_CACHED_BYTES && eldest.hasNext(); ) {
                    bytes -= eldest.next().bytes().length;
                    eldest.remove();
                }
                return fresh.bytes();
            }
        }

        /** A part's bytes and the field values they encode: the same objects, or equal values of an immutable type. */
        private record Part(Object[] fields, byte[] bytes) {
            static Object[] fields(SpecificRecord datum) {
                Object[] fields = new Object[datum.getSchema().getFields().size()];
                for (int i = 0; i < fields.length; i++) {
                    fields[i] = datum.get(i);
                }
                return fields;
            }

            boolean isOf(SpecificRecord datum) {
                for (int i = 0; i < fields.length; i++) {
                    Object now = datum.get(i);
                    if (now != fields[i] && !(isValue(now) && now.equals(fields[i]))) {
                        return false;
                    }
                }
                return true;
            }

            private static boolean isValue(Object value) {
                return value instanceof String || value instanceof Number || value instanceof Boolean || value instanceof Enum<?>
                        || value instanceof java.time.Instant;
            }
        }

        /** A key equal only to the very same object. */
        private record Identity(Object value) {
            @Override
            public boolean equals(Object other) {
                return other instanceof Identity identity && identity.value == value;
            }

            @Override
            public int hashCode() {
                return System.identityHashCode(value);
            }
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
