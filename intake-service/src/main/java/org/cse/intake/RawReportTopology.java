package org.cse.intake;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.cse.events.Report;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates raw submissions from Kafka-native publishers, exactly once.
 * In: {@code cse.reports.raw.v1.from.<publisher>} (JSON bytes; one topic per publisher, which only that
 * publisher's principal may write, so the topic says who sent the report). Out: {@code cse.reports.v1}
 * (valid and within the publisher's grants, keyed by the reported account) or
 * {@code cse.reports.raw.v1.dlq} (the original bytes, the reason in headers). A publisher can assert no
 * more over Kafka than over HTTP: the same {@link Grants} apply.
 */
public final class RawReportTopology {
    private static final Logger LOG = LoggerFactory.getLogger(RawReportTopology.class);
    static final String SOURCE = "raw-reports-source";
    static final String VALIDATE = "validate-raw-report";
    static final String VALID_SINK = "valid-reports-sink";
    static final String DLQ_SINK = "raw-reports-dlq-sink";

    private RawReportTopology() {
    }

    public static Topology buildTopology(SchemaRegistry registry, ReportValidator validator, IntakeMetrics metrics,
                                         Supplier<PublisherRegistry> publishers) {
        Serde<Report> reportSerde = Topics.REPORTS.valueSerde(registry);
        Topology topology = new Topology();
        // Bytes in, so that a record that is not even text still reaches the dead-letter topic unchanged.
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.RAW_REPORTS_PATTERN);
        topology.addProcessor(VALIDATE, () -> new Validate(validator, metrics, publishers), SOURCE);
        topology.addSink(VALID_SINK, Topics.REPORTS.name(), Topics.REPORTS.keySerde().serializer(), reportSerde.serializer(),
                VALIDATE);
        topology.addSink(DLQ_SINK, Topics.REPORTS_RAW_DLQ.name(), new ByteArraySerializer(), new ByteArraySerializer(), VALIDATE);
        return topology;
    }

    private static final class Validate implements Processor<byte[], byte[], Object, Object> {
        private final ReportValidator validator;
        private final IntakeMetrics metrics;
        private final Supplier<PublisherRegistry> publishers;
        private ProcessorContext<Object, Object> context;

        Validate(ReportValidator validator, IntakeMetrics metrics, Supplier<PublisherRegistry> publishers) {
            this.validator = validator;
            this.metrics = metrics;
            this.publishers = publishers;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Optional<RecordMetadata> source = context.recordMetadata();
            String topic = source.map(RecordMetadata::topic).orElse("?");
            int partition = source.map(RecordMetadata::partition).orElse(-1);
            long offset = source.map(RecordMetadata::offset).orElse(-1L);
            String publisherId = Topics.publisherOf(topic);
            PublisherRegistry.Publisher publisher = publisherId == null ? null : publishers.get().byId(publisherId);
            ReportValidator.Result result;
            if (publisher == null) {
                result = new ReportValidator.Invalid(DeadLetterReason.FORBIDDEN.name(), "", "the topic belongs to no registered publisher");
            } else if (record.value() == null) {
                result = new ReportValidator.Invalid(DeadLetterReason.EMPTY_RECORD.name(), "", "record has no value");
            } else {
                result = validator.validate(record.value(), publisher.id());
            }
            if (result instanceof ReportValidator.Valid valid) {
                Grants.Outcome outcome = Grants.apply(valid.report(), publisher);
                if (outcome instanceof Grants.Allowed allowed) {
                    Report report = allowed.report();
                    context.forward(new Record<Object, Object>(report.getAccountId(), report, record.timestamp()), VALID_SINK);
                    metrics.accepted("kafka");
                    metrics.published(publisher.id(), allowed.confirmed());
                    LOG.info("accepted raw report {} from {}-{}@{}", report.getReportId(), topic, partition, offset);
                    return;
                }
                Grants.Forbidden forbidden = (Grants.Forbidden) outcome;
                result = new ReportValidator.Invalid(DeadLetterReason.FORBIDDEN.name(), forbidden.field(), forbidden.message());
            }
            ReportValidator.Invalid invalid = (ReportValidator.Invalid) result;
            DeadLetterReason reason = DeadLetterReason.valueOf(invalid.code());
            ProducerRecord<byte[], byte[]> dead = DeadLetters.record(Topics.REPORTS_RAW_DLQ.name(), record.key(), record.value(),
                    record.headers(), new DeadLetters.Cause("intake-service", reason, invalid.message(), topic, partition, offset));
            context.forward(new Record<Object, Object>(dead.key(), dead.value(), record.timestamp(), dead.headers()), DLQ_SINK);
            metrics.rejected("kafka", invalid.code());
            LOG.warn("dead-lettered raw record {}-{}@{}: {} {}", topic, partition, offset, reason, invalid.message());
        }
    }
}
