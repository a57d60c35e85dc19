package org.cse.classifier;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
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
     * written as the bytes it got then, while it still holds what it held: the very objects, an equal string,
     * integer, enum or instant, and lists equal to a copy taken then. A busy account's summary holds up to 50
     * strikes and changes with every decision; encoding it from scratch each time was a fifth of the
     * classifier's stream thread (JFR), mostly in the strikes' strings. The bytes are the same as Avro's own
     * encoder writes ({@code AccountStateSerdeTest}, {@code PolicyPurityTest}). A record inside such a list (a
     * strike's retractions) is compared as the same object only: it relies on what the policy and the split
     * history already keep to, that a part of a history is never changed in place. Per thread it keeps the
     * parts of at most {@link #MAX_CACHED_BYTES} of encoding (their objects stay alive with them).
     */
    static final class PartsReusingWriter extends SpecificDatumWriter<AccountState> {
        /** Encoded bytes of parts kept per thread at most, least recently used first out. */
        static final int MAX_CACHED_BYTES = 4 * 1024 * 1024;
        /** The generated classes' model (their logical-type conversions), creating this writer for any schema. */
        static final SpecificData MODEL = model();
        private static final ThreadLocal<Parts> PARTS = ThreadLocal.withInitial(Parts::new);

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
                out.writeFixed(PARTS.get().encoded((SpecificRecord) datum, schema));
            } else {
                super.writeRecord(schema, datum, out);
            }
        }

        /** This thread's parts: how many, the bytes they hold, and how many encodings reused them (tests). */
        static Parts parts() {
            return PARTS.get();
        }

        /** One thread's encoded parts, by identity, with what they held when encoded. */
        static final class Parts {
            private final ByteBoundedCache<Identity, Part> cache = new ByteBoundedCache<>(MAX_CACHED_BYTES, part -> part.encoded().length);
            private final Map<Schema, SpecificDatumWriter<Object>> writers = new HashMap<>();
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
            private long reused;

            byte[] encoded(SpecificRecord datum, Schema schema) throws IOException {
                Identity key = new Identity(datum);
                Part part = cache.get(key);
                if (part != null && part.schema() == schema && part.isOf(datum)) {
                    reused++;
                    return part.encoded();
                }
                buffer.reset();
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(buffer, null);
                writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s, MODEL)).write(datum, encoder);
                encoder.flush();
                Part fresh = new Part(schema, Part.fields(datum), buffer.toByteArray());
                cache.put(key, fresh);
                return fresh.encoded();
            }

            int count() {
                return cache.size();
            }

            long heldBytes() {
                return cache.heldBytes();
            }

            long reused() {
                return reused;
            }
        }

        /** A part's bytes, the schema they were written with, and what it held then (lists copied). */
        private record Part(Schema schema, Object[] fields, byte[] encoded) {
            static Object[] fields(SpecificRecord datum) {
                Object[] fields = new Object[datum.getSchema().getFields().size()];
                for (int i = 0; i < fields.length; i++) {
                    Object value = datum.get(i);
                    fields[i] = value instanceof List<?> list ? new ArrayList<>(list) : value;
                }
                return fields;
            }

            boolean isOf(SpecificRecord datum) {
                for (int i = 0; i < fields.length; i++) {
                    Object now = datum.get(i);
                    // the copy's equals: an ArrayList compares with any list, whatever class Avro decoded it to
                    if (now != fields[i] && !((isValue(now) || now instanceof List<?>) && fields[i] != null && fields[i].equals(now))) {
                        return false;
                    }
                }
                return true;
            }

            /** Immutable values whose equal instances encode alike (no float or double: NaNs differ in bits). */
            private static boolean isValue(Object value) {
                return value instanceof String || value instanceof Integer || value instanceof Long || value instanceof Boolean
                        || value instanceof Enum<?> || value instanceof Instant;
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
