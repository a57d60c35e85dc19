package org.cse.runtime;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' handlers for a record that cannot be read or whose processing throws: the record
 * goes to the service's dead-letter topic in the pipeline's one format ({@link DeadLetters}: the
 * original bytes, cut to fit if need be, the reason in headers) and processing goes on, so one record
 * never stops a partition. A schema registry outage is not the record's fault: the task fails, its
 * stream thread is replaced ({@link RetryOnRegistryOutage#uncaughtHandler()}), and the record is read
 * again from the last commit.
 *
 * <p>Configured by {@link KafkaSettings#streams}: the dead-letter topic and the service's name come
 * from the Streams config ({@code errors.dead.letter.queue.topic.name}, {@link #SERVICE_CONFIG}).
 */
public final class RecordErrors {
    /** Streams config key carrying the service name for the dead letters' {@code cse.dlq.service} header. */
    public static final String SERVICE_CONFIG = "cse.service.name";
    private static final Logger LOG = LoggerFactory.getLogger(RecordErrors.class);

    private RecordErrors() {
    }

    private static String text(Map<String, ?> configs, String key, String fallback) {
        Object value = configs.get(key);
        return value == null ? fallback : value.toString();
    }

    /** For records Streams itself cannot deserialize. */
    public static final class Deserialization implements DeserializationExceptionHandler {
        private String topic;
        private String service;

        @Override
        public void configure(Map<String, ?> configs) {
            topic = text(configs, "errors.dead.letter.queue.topic.name", null);
            service = text(configs, SERVICE_CONFIG, text(configs, "application.id", "streams"));
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
            if (SchemaRegistryException.isOutage(exception)) {
                LOG.warn("schema registry unavailable while reading {}-{}@{}: the record will be read again", context.topic(),
                        context.partition(), context.offset());
                return Response.fail();
            }
            LOG.warn("dead-lettering unreadable record {}-{}@{}: {}", context.topic(), context.partition(), context.offset(),
                    exception.toString());
            return Response.resume(List.of(DeadLetters.record(topic, record.key(), record.value(), record.headers(),
                    new DeadLetters.Cause(service, DeadLetterReason.DESERIALIZATION, exception.getMessage(), context.topic(),
                            context.partition(), context.offset()))));
        }
    }

    /** For a processor that throws on a record. */
    public static final class Processing implements ProcessingExceptionHandler {
        private String topic;
        private String service;

        @Override
        public void configure(Map<String, ?> configs) {
            topic = text(configs, "errors.dead.letter.queue.topic.name", null);
            service = text(configs, SERVICE_CONFIG, text(configs, "application.id", "streams"));
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            if (SchemaRegistryException.isOutage(exception)) {
                LOG.warn("schema registry unavailable while processing {}-{}@{}: the record will be read again", context.topic(),
                        context.partition(), context.offset());
                return Response.fail();
            }
            LOG.error("processing {}-{}@{} failed in {}: dead-lettering it", context.topic(), context.partition(), context.offset(),
                    context.processorNodeId(), exception);
            return Response.resume(List.of(DeadLetters.record(topic, context.sourceRawKey(), context.sourceRawValue(),
                    context.headers(), new DeadLetters.Cause(service, DeadLetterReason.PROCESSING_FAILED, exception.toString(),
                            context.topic(), context.partition(), context.offset()))));
        }
    }
}
