package org.cse.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * Header names on dead-letter records, shared by every service so that an operator reads one format.
 * The record's key and value are the original bytes; the headers say why and where from.
 */
public final class DeadLetters {
    /** Machine-readable reason code, e.g. {@code INVALID_FIELD}, {@code DESERIALIZATION}. */
    public static final String REASON = "cse.dlq.reason";
    /** Human-readable detail: the field and what is wrong with it. Never report content. */
    public static final String DETAIL = "cse.dlq.detail";
    public static final String SOURCE_TOPIC = "cse.dlq.source.topic";
    public static final String SOURCE_PARTITION = "cse.dlq.source.partition";
    public static final String SOURCE_OFFSET = "cse.dlq.source.offset";
    public static final String SERVICE = "cse.dlq.service";

    private DeadLetters() {
    }

    public static void describe(Headers headers, String service, String reason, String detail, String topic,
                                int partition, long offset) {
        headers.add(SERVICE, utf8(service));
        headers.add(REASON, utf8(reason));
        headers.add(DETAIL, utf8(detail));
        headers.add(SOURCE_TOPIC, utf8(topic));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
    }

    /** The header's last value as text, or null. */
    public static String header(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        return (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
    }
}
