package org.cse.classifier;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.cse.events.AccountEvent;
import org.cse.events.AccountState;
import org.cse.events.Decision;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier. In: {@code cse.reports.v1}, {@code cse.accounts.events.v1} (co-partitioned by
 * account id). Out: {@code cse.decisions.v1}, {@code cse.reviews.requested.v1}, dead letters on
 * {@code cse.classifier.dlq.v1}.
 *
 * <p>Every input for one account reads and writes the same {@code account-history} store entry in
 * one task, in offset order: the decision for report N+1 sees the decision for report N even when
 * both arrive in the same millisecond, with no round trip through a topic. Exactly-once v2 commits
 * the store change and the outputs together.
 */
public final class ClassifierTopology {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTopology.class);
    public static final String HISTORY_STORE = "account-history";

    private ClassifierTopology() {
    }

    public static Topology buildTopology(SchemaRegistry registry, Policy policy) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(),
                new RegistryAvroSerde<>(registry, AccountState.class, true)));

        KStream<String, Report> reports = builder.stream(Topics.REPORTS.name(),
                Consumed.with(Topics.REPORTS.keySerde(), Topics.REPORTS.valueSerde(registry)).withName("reports-source"));
        KStream<String, AccountEvent> accountEvents = builder.stream(Topics.ACCOUNT_EVENTS.name(),
                Consumed.with(Topics.ACCOUNT_EVENTS.keySerde(), Topics.ACCOUNT_EVENTS.valueSerde(registry))
                        .withName("account-events-source"));

        KStream<String, Object> outputs = reports
                .process(() -> new ApplyPolicy<>(policy::onReport, "report"), Named.as("apply-policy-to-report"), HISTORY_STORE)
                .merge(accountEvents.process(() -> new ApplyPolicy<>(policy::onAccountEvent, "account event"),
                        Named.as("apply-policy-to-account-event"), HISTORY_STORE), Named.as("merge-policy-outputs"));

        Serde<Decision> decisionSerde = Topics.DECISIONS.valueSerde(registry);
        outputs.filter((account, value) -> value instanceof Decision, Named.as("only-decisions"))
                .mapValues(value -> (Decision) value, Named.as("as-decision"))
                .to(Topics.DECISIONS.name(), Produced.with(Topics.DECISIONS.keySerde(), decisionSerde).withName("decisions-sink"));
        outputs.filter((account, value) -> value instanceof ReviewRequest, Named.as("only-review-requests"))
                .mapValues(value -> (ReviewRequest) value, Named.as("as-review-request"))
                .to(Topics.REVIEW_REQUESTS.name(), Produced.with(Topics.REVIEW_REQUESTS.keySerde(),
                        Topics.REVIEW_REQUESTS.valueSerde(registry)).withName("review-requests-sink"));
        outputs.filter((account, value) -> value instanceof Rejected, Named.as("only-rejections"))
                .map((account, value) -> new org.apache.kafka.streams.KeyValue<>(
                        account == null ? null : account.getBytes(StandardCharsets.UTF_8), (byte[]) null), Named.as("as-dead-letter"))
                .to(Topics.CLASSIFIER_DLQ.name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dead-letters-sink"));
        return builder.build();
    }

    /** An input the policy refuses; its reason travels in the record's headers to the dead-letter topic. */
    record Rejected(String reason) {}

    @FunctionalInterface
    interface PolicyStep<V> {
        Policy.Evaluation apply(AccountState state, V input, Instant now);
    }

    private static final class ApplyPolicy<V extends SpecificRecord> implements Processor<String, V, String, Object> {
        private final PolicyStep<V> step;
        private final String inputName;
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, AccountState> history;

        ApplyPolicy(PolicyStep<V> step, String inputName) {
            this.step = step;
            this.inputName = inputName;
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.history = context.getStateStore(HISTORY_STORE);
        }

        @Override
        public void process(Record<String, V> record) {
            if (record.key() == null || record.value() == null) {
                reject(record, record.key() == null ? "NULL_KEY" : "NULL_VALUE",
                        inputName + " without " + (record.key() == null ? "an account id key" : "a value"));
                return;
            }
            Policy.Evaluation evaluation = step.apply(history.get(record.key()), record.value(),
                    Instant.ofEpochMilli(context.currentSystemTimeMs()));
            history.put(record.key(), evaluation.state());
            for (SpecificRecord output : evaluation.outputs()) {
                context.forward(record.withValue(output));
                if (output instanceof Decision decision) {
                    LOG.info("decision {} rule {} for account {} incident {}", decision.getDecisionId(), decision.getRuleId(),
                            decision.getAccountId(), decision.getIncidentId());
                } else if (output instanceof ReviewRequest request) {
                    LOG.info("review request {} priority {} for account {}", request.getRequestId(), request.getPriority(),
                            request.getAccountId());
                }
            }
        }

        private void reject(Record<String, V> record, String reason, String detail) {
            RecordMetadata source = context.recordMetadata().orElseThrow();
            RecordHeaders headers = new RecordHeaders(record.headers().toArray());
            DeadLetters.describe(headers, "classifier-stream", reason, detail, source.topic(), source.partition(), source.offset());
            LOG.warn("dead-lettered {} {}-{}@{}: {}", inputName, source.topic(), source.partition(), source.offset(), detail);
            context.forward(new Record<String, Object>(record.key(), new Rejected(reason), record.timestamp(), headers));
        }
    }
}
