package org.cse.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.processor.TaskId;
import org.cse.events.Decision;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;
import org.cse.schemas.registry.SchemaRegistryException;
import org.junit.jupiter.api.Test;

/**
 * A schema registry outage is no record's fault: records read during one are retried, never
 * dead-lettered; records that really cannot be read are.
 */
class RegistryOutageTest {
    /** A registry that is down: every call fails as unreachable. */
    private static final SchemaRegistry DOWN = new SchemaRegistry() {
        @Override
        public int register(String subject, Schema schema) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE, "connection refused");
        }

        @Override
        public int lookup(String subject, Schema schema) {
            return register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE, "connection refused");
        }
    };
    private static final byte[] WIRE_FORMAT_WITH_SCHEMA_7 = {0, 0, 0, 0, 7, 2, 4};

    @Test
    void anUnreadableRecordIsTheRecordsFaultButAnUnknownSchemaWhileTheRegistryIsDownIsAnOutage() {
        var decisions = new RegistryAvroSerde<>(DOWN, Decision.class, false).deserializer();

        // the delivery processors and executors dead-letter the first and read the second again later
        assertThatThrownBy(() -> decisions.deserialize("cse.decisions.v1", "not avro".getBytes(StandardCharsets.UTF_8)))
                .satisfies(e -> assertThat(SchemaRegistryException.isOutage(e)).isFalse());
        assertThatThrownBy(() -> decisions.deserialize("cse.decisions.v1", WIRE_FORMAT_WITH_SCHEMA_7))
                .isInstanceOf(SchemaRegistryException.class)
                .satisfies(e -> assertThat(SchemaRegistryException.isOutage(e)).isTrue());
    }

    @Test
    void streamsFailsTheTaskOnAnOutageAndDeadLettersAnythingElse() {
        RecordErrors.Deserialization handler = new RecordErrors.Deserialization();
        handler.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "cse.classifier.dlq.v1",
                RecordErrors.SERVICE_CONFIG, "classifier-stream"));
        ConsumerRecord<byte[], byte[]> record = record(WIRE_FORMAT_WITH_SCHEMA_7);
        Exception outage = new org.apache.kafka.common.errors.SerializationException("wrapped",
                new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE, "connection refused"));
        Exception unknownSchema = new SchemaRegistryException(SchemaRegistryException.Kind.NOT_FOUND, "no schema 7");

        DeserializationExceptionHandler.Response onOutage = handler.handleError(context(record), record, outage);
        DeserializationExceptionHandler.Response onUnknown = handler.handleError(context(record), record, unknownSchema);

        assertThat(onOutage.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(onOutage.deadLetterQueueRecords()).isEmpty();
        assertThat(onUnknown.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        assertThat(onUnknown.deadLetterQueueRecords()).singleElement().satisfies(dead -> {
            assertThat(dead.topic()).isEqualTo("cse.classifier.dlq.v1");
            assertThat(dead.value()).isEqualTo(WIRE_FORMAT_WITH_SCHEMA_7);
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).isEqualTo("DESERIALIZATION");
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.SERVICE)).isEqualTo("classifier-stream");
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("41");
        });
    }

    @Test
    void aStreamThreadStoppedByAnOutageIsReplacedAndAnyOtherErrorStopsTheClient() {
        var uncaught = RetryOnRegistryOutage.uncaughtHandler();

        assertThat(uncaught.handle(new StreamsException(new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE, "down"))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(uncaught.handle(new StreamsException(new IllegalStateException("bug"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] value) {
        return new ConsumerRecord<>(Topics.DECISIONS.name(), 2, 41L, "acct-1".getBytes(StandardCharsets.UTF_8), value);
    }

    private static ErrorHandlerContext context(ConsumerRecord<byte[], byte[]> record) {
        return new ErrorHandlerContext() {
            @Override
            public String topic() {
                return record.topic();
            }

            @Override
            public int partition() {
                return record.partition();
            }

            @Override
            public long offset() {
                return record.offset();
            }

            @Override
            public Headers headers() {
                return new RecordHeaders();
            }

            @Override
            public String processorNodeId() {
                return "decisions-source";
            }

            @Override
            public TaskId taskId() {
                return new TaskId(0, record.partition());
            }

            @Override
            public long timestamp() {
                return 0L;
            }

            @Override
            public byte[] sourceRawKey() {
                return record.key();
            }

            @Override
            public byte[] sourceRawValue() {
                return record.value();
            }
        };
    }
}
