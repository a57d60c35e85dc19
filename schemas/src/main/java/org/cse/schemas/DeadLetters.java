package org.cse.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records, built the same way by every service so that an operator reads one format. The
 * key and value are the original bytes (never a re-encoding); the headers say why and where from.
 * A dead letter always fits its topic: if the original record plus the headers would not, the value
 * is cut to a prefix and the headers say so and give the original size, so no record ever jams a
 * partition by being too large to dead-letter.
 */
public final class DeadLetters {
    /** Machine-readable reason, a {@link DeadLetterReason}. */
    public static final String REASON = "cse.dlq.reason";
    /** Human-readable detail: the field and what is wrong with it. Never report content. */
    public static final String DETAIL = "cse.dlq.detail";
    public static final String SOURCE_TOPIC = "cse.dlq.source.topic";
    public static final String SOURCE_PARTITION = "cse.dlq.source.partition";
    public static final String SOURCE_OFFSET = "cse.dlq.source.offset";
    public static final String SERVICE = "cse.dlq.service";
    /** "true" when the value (or key) is a prefix of the original. */
    public static final String TRUNCATED = "cse.dlq.truncated";
    /** Size in bytes of the original value (and key), when truncated. */
    public static final String ORIGINAL_VALUE_SIZE = "cse.dlq.original.value.size";
    public static final String ORIGINAL_KEY_SIZE = "cse.dlq.original.key.size";

    /**
     * The largest dead letter written: the dead-letter topics' {@link Topics#MAX_MESSAGE_BYTES} less
     * room for the record batch around it.
     */
    public static final int MAX_RECORD_BYTES = Topics.MAX_MESSAGE_BYTES - 4 * 1024;
    private static final int MAX_KEY_BYTES = 1024;
    private static final int MAX_DETAIL_CHARS = 1000;
    private static final int HEADER_OVERHEAD = 16;

    private DeadLetters() {
    }

    /** Where a dead letter came from and why. */
    public record Cause(String service, DeadLetterReason reason, String detail, String topic, int partition, long offset) {}

    /**
     * The dead letter for an input record: the original key, value and headers, plus ours. Truncated to
     * fit {@link #MAX_RECORD_BYTES} when needed (the original headers are dropped first, then the key and
     * value are cut).
     */
    public static ProducerRecord<byte[], byte[]> record(String deadLetterTopic, byte[] key, byte[] value, Headers original,
                                                        Cause cause) {
        RecordHeaders ours = new RecordHeaders();
        describe(ours, cause);
        int oursSize = size(ours);
        int originalSize = original == null ? 0 : size(original);
        int keySize = key == null ? 0 : key.length;
        int valueSize = value == null ? 0 : value.length;
        if (oursSize + originalSize + keySize + valueSize <= MAX_RECORD_BYTES) {
            RecordHeaders all = new RecordHeaders(original == null ? new Header[0] : original.toArray());
            ours.forEach(all::add);
            return new ProducerRecord<>(deadLetterTopic, null, key, value, all);
        }
        // Too large: keep our headers (they say where the original is), then as much key and value as fits.
        byte[] cutKey = key != null && key.length > MAX_KEY_BYTES ? Arrays.copyOf(key, MAX_KEY_BYTES) : key;
        ours.add(TRUNCATED, utf8("true"));
        ours.add(ORIGINAL_VALUE_SIZE, utf8(Integer.toString(valueSize)));
        if (cutKey != key) {
            ours.add(ORIGINAL_KEY_SIZE, utf8(Integer.toString(keySize)));
        }
        int room = MAX_RECORD_BYTES - size(ours) - (cutKey == null ? 0 : cutKey.length);
        byte[] cutValue = value == null ? null : Arrays.copyOf(value, Math.max(0, Math.min(value.length, room)));
        return new ProducerRecord<>(deadLetterTopic, null, cutKey, cutValue, ours);
    }

    /** Adds our headers to {@code headers}. */
    public static void describe(Headers headers, Cause cause) {
        headers.add(SERVICE, utf8(cause.service()));
        headers.add(REASON, utf8(cause.reason().name()));
        String detail = cause.detail() == null ? "" : cause.detail();
        headers.add(DETAIL, utf8(detail.length() > MAX_DETAIL_CHARS ? detail.substring(0, MAX_DETAIL_CHARS) + "..." : detail));
        headers.add(SOURCE_TOPIC, utf8(cause.topic()));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(cause.partition())));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(cause.offset())));
    }

    /** The header's last value as text, or null. */
    public static String header(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static int size(Headers headers) {
        int total = 0;
        for (Header header : headers) {
            total += HEADER_OVERHEAD + header.key().length() * 3 + (header.value() == null ? 0 : header.value().length);
        }
        return total;
    }

    private static byte[] utf8(String text) {
        return (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
    }
}
