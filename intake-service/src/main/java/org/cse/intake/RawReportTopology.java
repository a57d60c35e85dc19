package org.cse.intake;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
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
 * In: {@code cse.reports.raw.v1} (JSON bytes). Out: {@code cse.reports.v1} (valid, keyed by the
 * reported account) or {@code cse.reports.raw.v1.dlq} (the original bytes, the reason in headers).
 */
public final class RawReportTopology {
    private static final Logger LOG = LoggerFactory.getLogger(RawReportTopology.class);
    static final String SOURCE = "raw-reports-source";
    static final String VALIDATE = "validate-raw-report";
    static final String VALID_SINK = "valid-reports-sink";
    static final String DLQ_SINK = "raw-reports-dlq-sink";

    private RawReportTopology() {
    }

    public static Topology buildTopology(SchemaRegistry registry, ReportValidator validator, IntakeMetrics metrics) {
        Serde<Report> reportSerde = Topics.REPORTS.valueSerde(registry);
        Topology topology = new Topology();
        // Bytes in, so that a record that is not even text still reaches the dead-letter topic unchanged.
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.REPORTS_RAW.name());
        topology.addProcessor(VALIDATE, () -> new Validate(validator, metrics), SOURCE);
        topology.addSink(VALID_SINK, Topics.REPORTS.name(), Topics.REPORTS.keySerde().serializer(), reportSerde.serializer(),
                VALIDATE);
        topology.addSink(DLQ_SINK, Topics.REPORTS_RAW_DLQ.name(), new ByteArraySerializer(), new ByteArraySerializer(), VALIDATE);
        return topology;
    }

    private static final class Validate implements Processor<byte[], byte[], Object, Object> {
        private final ReportValidator validator;
        private final IntakeMetrics metrics;
        private ProcessorContext<Object, Object> context;

        Validate(ReportValidator validator, IntakeMetrics metrics) {
            this.validator = validator;
            this.metrics = metrics;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Optional<RecordMetadata> source = context.recordMetadata();
            String topic = source.map(RecordMetadata::topic).orElse(Topics.REPORTS_RAW.name());
            int partition = source.map(RecordMetadata::partition).orElse(-1);
            long offset = source.map(RecordMetadata::offset).orElse(-1L);
            ReportValidator.Result result = record.value() == null
                    ? new ReportValidator.Invalid(DeadLetterReason.EMPTY_RECORD.name(), "", "record has no value")
                    : validator.validate(record.value(), "kafka");
            if (result instanceof ReportValidator.Valid valid) {
                Report report = valid.report();
                context.forward(new Record<Object, Object>(report.getAccountId(), report, record.timestamp()), VALID_SINK);
                metrics.accepted("kafka");
                LOG.info("accepted raw report {} from {}-{}@{}", report.getReportId(), topic, partition, offset);
                return;
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
