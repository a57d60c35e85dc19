package org.cse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;
import org.cse.schemas.registry.SchemaRegistryException;

/**
 * A record's bytes as a JSON tree an operator can read: Avro in the registry's wire format (magic
 * byte, schema id) decoded with the writer's schema fetched once per id, so any registered version
 * reads; raw JSON (intake's raw topics and their dead letters) parsed; anything else shown as its
 * size. Report content — descriptions, URLs, the XML or body sent to NCMEC and hotlines, file names —
 * is replaced by {@code "<redacted>"} unless the caller asks for content (and writes the audit line).
 */
final class RecordText {
    /** Fields of the Avro records that carry what a reporter or a file said, at any depth of any record. */
    static final Set<String> CONTENT_FIELDS = Set.of("description", "url", "urls", "reportXml", "hotlineBody", "fileName", "text");
    /**
     * Raw JSON (a publisher's submission, often the very one that failed validation) has no schema to
     * trust: a misspelt or unknown key can hold anything. Only the text of these fields is shown; every
     * other string, at any depth, is redacted. Numbers, booleans and the shape stay.
     */
    static final Set<String> JSON_SHOWN = Set.of("accountId", "reportId", "contentId", "kind", "claimedCategory", "sourceService",
            "reportedAt", "matchList", "algorithm", "hostingCountry", "generatedMedium", "id", "decisionId", "incidentId", "verdictId",
            "appealId", "eventId", "reviewerId", "type", "category");
    static final String REDACTED = "<redacted>";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final SchemaRegistry registry;
    private final boolean showContent;
    private final Map<Integer, GenericDatumReader<Object>> readers = new ConcurrentHashMap<>();

    RecordText(SchemaRegistry registry, boolean showContent) {
        this.registry = registry;
        this.showContent = showContent;
    }

    /** A key: the pipeline's keys are UTF-8 text (account, referral, identifier hash); other bytes as hex. */
    static String key(byte[] key) {
        if (key == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            return "0x" + HexFormat.of().formatHex(key);
        }
    }

    JsonNode value(byte[] value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value.length > 5 && value[0] == RegistryAvroSerde.MAGIC_BYTE) {
            int id = ByteBuffer.wrap(value, 1, 4).getInt();
            try {
                GenericDatumReader<Object> reader = readers.computeIfAbsent(id, schemaId -> {
                    Schema writer = registry.schemaById(schemaId);
                    return new GenericDatumReader<>(writer, writer, new GenericData());
                });
                BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null);
                return tree(reader.read(null, decoder), reader.getSchema());
            } catch (SchemaRegistryException e) {
                if (e.kind() == SchemaRegistryException.Kind.UNAVAILABLE) {
                    throw e;
                }
                return unreadable(value, "schema id " + id + " is not in the registry (" + e.kind() + ")");
            } catch (IOException | RuntimeException e) {
                return unreadable(value, "not readable with schema " + id + ": " + e.getClass().getSimpleName());
            }
        }
        if (value.length > 0 && (value[0] == '{' || value[0] == '[')) {
            try {
                return redactJson(JSON.readTree(value), null);
            } catch (IOException e) {
                return unreadable(value, "malformed JSON");
            }
        }
        return unreadable(value, value.length == 0 ? "empty" : "neither Avro nor JSON");
    }

    private static JsonNode unreadable(byte[] value, String why) {
        ObjectNode node = NODES.objectNode();
        node.put("unreadable", why);
        node.put("bytes", value.length);
        return node;
    }

    /** Every string redacted unless its field is one of {@link #JSON_SHOWN}; {@code field} is the name the node is under. */
    private JsonNode redactJson(JsonNode node, String field) {
        if (showContent) {
            return node;
        }
        if (node instanceof ObjectNode object) {
            List<String> names = new java.util.ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                object.set(name, redactJson(object.get(name), name));
            }
            return object;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, redactJson(array.get(i), field));
            }
            return array;
        }
        return node.isTextual() && !JSON_SHOWN.contains(field) ? TextNode.valueOf(REDACTED) : node;
    }

    private JsonNode tree(Object datum, Schema schema) {
        if (datum == null) {
            return NODES.nullNode();
        }
        switch (schema.getType()) {
            case RECORD -> {
                GenericRecord record = (GenericRecord) datum;
                ObjectNode node = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    Object fieldValue = record.get(field.pos());
                    node.set(field.name(), !showContent && CONTENT_FIELDS.contains(field.name()) && fieldValue != null
                            ? TextNode.valueOf(REDACTED) : tree(fieldValue, field.schema()));
                }
                return node;
            }
            case UNION -> {
                int branch = GenericData.get().resolveUnion(schema, datum);
                return tree(datum, schema.getTypes().get(branch));
            }
            case ARRAY -> {
                ArrayNode node = NODES.arrayNode();
                for (Object item : (Iterable<?>) datum) {
                    node.add(tree(item, schema.getElementType()));
                }
                return node;
            }
            case MAP -> {
                ObjectNode node = NODES.objectNode();
                ((Map<?, ?>) datum).forEach((k, v) -> node.set(k.toString(), tree(v, schema.getValueType())));
                return node;
            }
            case LONG -> {
                long number = (Long) datum;
                return schema.getLogicalType() instanceof LogicalTypes.TimestampMillis
                        ? TextNode.valueOf(Instant.ofEpochMilli(number).toString()) : NODES.numberNode(number);
            }
            case INT -> {
                return NODES.numberNode((Integer) datum);
            }
            case BOOLEAN -> {
                return NODES.booleanNode((Boolean) datum);
            }
            case FLOAT, DOUBLE -> {
                return NODES.numberNode(((Number) datum).doubleValue());
            }
            case BYTES -> {
                return TextNode.valueOf("<" + ((ByteBuffer) datum).remaining() + " bytes>");
            }
            case FIXED -> {
                return TextNode.valueOf(HexFormat.of().formatHex(((GenericData.Fixed) datum).bytes()));
            }
            default -> {
                return TextNode.valueOf(datum.toString());
            }
        }
    }

    /** Any field of this name at any depth has this text value (account and decision filters). */
    static boolean hasField(JsonNode node, String name, String value) {
        if (node == null) {
            return false;
        }
        if (node.isObject()) {
            JsonNode field = node.get(name);
            if (field != null && field.isTextual() && field.asText().equals(value)) {
                return true;
            }
        }
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                if (hasField(child, name, value)) {
                    return true;
                }
            }
        }
        return false;
    }
}
