package org.cse.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
    private static final DeadLetters.Cause CAUSE = new DeadLetters.Cause("test-service", DeadLetterReason.DESERIALIZATION,
            "not a Decision", "cse.decisions.v1", 3, 1234L);

    @Test
    void aRecordThatFitsIsKeptWholeWithItsHeadersAndOurs() {
        RecordHeaders original = new RecordHeaders();
        original.add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
        byte[] value = "garbage".getBytes(StandardCharsets.UTF_8);

        ProducerRecord<byte[], byte[]> dead = DeadLetters.record("dlq", "k".getBytes(StandardCharsets.UTF_8), value, original, CAUSE);

        assertThat(dead.topic()).isEqualTo("dlq");
        assertThat(dead.value()).isEqualTo(value);
        assertThat(DeadLetters.header(dead.headers(), "trace")).isEqualTo("t-1");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).isEqualTo("DESERIALIZATION");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("cse.decisions.v1");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("3");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1234");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.TRUNCATED)).isNull();
    }

    @Test
    void aRecordTooLargeToDeadLetterIsCutToAPrefixThatFitsWithItsOriginalSize() {
        byte[] value = new byte[1_048_000];
        Arrays.fill(value, (byte) 7);
        byte[] key = new byte[900_000];
        RecordHeaders original = new RecordHeaders();
        original.add("big", new byte[50_000]);

        ProducerRecord<byte[], byte[]> dead = DeadLetters.record("dlq", key, value, original, CAUSE);

        int size = dead.key().length + dead.value().length;
        for (var header : dead.headers()) {
            size += header.key().length() + header.value().length;
        }
        assertThat(size).isLessThanOrEqualTo(DeadLetters.MAX_RECORD_BYTES);
        assertThat(dead.key()).hasSize(1024);
        assertThat(dead.value()).isEqualTo(Arrays.copyOf(value, dead.value().length));
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.TRUNCATED)).isEqualTo("true");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo("1048000");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo("900000");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1234");
        assertThat(dead.headers().lastHeader("big")).as("the original headers go first").isNull();
    }

    @Test
    void aLongDetailIsCut() {
        var cause = new DeadLetters.Cause("s", DeadLetterReason.INVALID_FIELD, "x".repeat(5000), "t", 0, 0);
        assertThat(DeadLetters.header(DeadLetters.record("dlq", null, null, null, cause).headers(), DeadLetters.DETAIL)).hasSize(1003);
    }
}
