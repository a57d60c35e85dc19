package org.cse.classifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
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
import org.cse.events.Appeal;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.events.Verdict;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier. In: {@code cse.reports.v1}, {@code cse.reviews.verdicts.v1}, {@code cse.appeals.v1},
 * {@code cse.accounts.events.v1} (co-partitioned by account id) and {@code cse.bans.identifiers.v1}
 * (a global store, keyed by identifier hash). Out: {@code cse.decisions.v1},
 * {@code cse.reviews.requested.v1}, {@code cse.decisions.shadow.v1} (a candidate policy, never
 * enforced), and refused inputs on {@code cse.classifier.dlq.v1} with the reason in headers.
 *
 * <p>Every input for one account reads and writes the same {@code account-history} entry in one task,
 * in offset order: the decision for report N+1 sees the decision for report N even when both arrive in
 * the same millisecond, with no round trip through a topic. Exactly-once v2 commits the store change
 * and the outputs together.
 */
public final class ClassifierTopology {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTopology.class);
    public static final String HISTORY_STORE = "account-history";
    public static final String SHADOW_HISTORY_STORE = "account-history-shadow";
    public static final String BANNED_STORE = "banned-identifiers";

    private ClassifierTopology() {
    }

    /**
     * @param shadow a candidate policy to run beside the live one, or null
     */
    public static Topology buildTopology(SchemaRegistry registry, Policy live, Policy shadow, MeterRegistry metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        Serde<AccountState> stateSerde = new RegistryAvroSerde<>(registry, AccountState.class, true);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(), stateSerde));
        if (shadow != null) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SHADOW_HISTORY_STORE),
                    Serdes.String(), stateSerde));
        }
        Serde<BannedIdentifier> bannedSerde = Topics.BANNED_IDENTIFIERS.valueSerde(registry);
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BANNED_STORE), Serdes.String(), bannedSerde)
                        .withLoggingDisabled(),
                Topics.BANNED_IDENTIFIERS.name(),
                Consumed.with(Serdes.String(), bannedSerde).withName("banned-identifiers-source"),
                BannedIdentifierUpdater::new);

        String[] stores = shadow == null ? new String[] {HISTORY_STORE} : new String[] {HISTORY_STORE, SHADOW_HISTORY_STORE};
        Outcomes outcomes = new Outcomes(metrics, live, shadow);
        KStream<String, Object> outputs = input(builder, registry, Topics.REPORTS, "report", outcomes,
                (policy, state, report, now, banned) -> policy.onReport(state, report, now), stores)
                .merge(input(builder, registry, Topics.VERDICTS, "verdict", outcomes,
                        (policy, state, verdict, now, banned) -> policy.onVerdict(state, verdict, now), stores),
                        Named.as("merge-verdict-outputs"))
                .merge(input(builder, registry, Topics.APPEALS, "appeal", outcomes,
                        (policy, state, appeal, now, banned) -> policy.onAppeal(state, appeal, now), stores),
                        Named.as("merge-appeal-outputs"))
                .merge(input(builder, registry, Topics.ACCOUNT_EVENTS, "account-event", outcomes,
                        Policy::onAccountEvent, stores), Named.as("merge-account-event-outputs"));

        outputs.filter((account, value) -> value instanceof Decision, Named.as("only-decisions"))
                .mapValues(value -> (Decision) value, Named.as("as-decision"))
                .to(Topics.DECISIONS.name(), Produced.with(Topics.DECISIONS.keySerde(), Topics.DECISIONS.valueSerde(registry))
                        .withName("decisions-sink"));
        outputs.filter((account, value) -> value instanceof ReviewRequest, Named.as("only-review-requests"))
                .mapValues(value -> (ReviewRequest) value, Named.as("as-review-request"))
                .to(Topics.REVIEW_REQUESTS.name(), Produced.with(Topics.REVIEW_REQUESTS.keySerde(),
                        Topics.REVIEW_REQUESTS.valueSerde(registry)).withName("review-requests-sink"));
        outputs.filter((account, value) -> value instanceof ShadowDecision, Named.as("only-shadow-decisions"))
                .mapValues(value -> ((ShadowDecision) value).decision(), Named.as("as-shadow-decision"))
                .to(Topics.SHADOW_DECISIONS.name(), Produced.with(Topics.SHADOW_DECISIONS.keySerde(),
                        Topics.SHADOW_DECISIONS.valueSerde(registry)).withName("shadow-decisions-sink"));
        outputs.filter((account, value) -> value instanceof Rejected, Named.as("only-rejections"))
                .map((account, value) -> KeyValue.pair(account == null ? null : account.getBytes(StandardCharsets.UTF_8),
                        ((Rejected) value).value()), Named.as("as-dead-letter"))
                .to(Topics.CLASSIFIER_DLQ.name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dead-letters-sink"));
        return builder.build();
    }

    private static <V extends SpecificRecord> KStream<String, Object> input(StreamsBuilder builder, SchemaRegistry registry,
                                                                          Topic<String, V> topic, String name, Outcomes outcomes,
                                                                          Step<V> step, String[] stores) {
        Serde<V> serde = topic.valueSerde(registry);
        return builder.stream(topic.name(), Consumed.with(topic.keySerde(), serde).withName(name + "s-source"))
                .process(() -> new ApplyPolicy<>(name, step, serde.serializer(), outcomes), Named.as("apply-policy-to-" + name), stores);
    }

    /** One input kind's policy function. */
    @FunctionalInterface
    interface Step<V> {
        Policy.Evaluation apply(Policy policy, AccountState state, V input, Instant now, Predicate<Identifier> banned);
    }

    /** A refused input, bound for the dead-letter topic: the original value bytes, the reason in headers. */
    record Rejected(byte[] value) {}

    /** A decision of the candidate policy. */
    record ShadowDecision(Decision decision) {}

    /** The policies and the meters every processor shares. */
    static final class Outcomes {
        final Policy live;
        final Policy shadow;
        final MeterRegistry metrics;

        Outcomes(MeterRegistry metrics, Policy live, Policy shadow) {
            this.metrics = metrics;
            this.live = live;
            this.shadow = shadow;
        }

        void decided(Decision decision) {
            Counter.builder("cse_classifier_decisions").tag("rule", decision.getRuleId())
                    .tag("policy", decision.getPolicyVersion()).register(metrics).increment();
        }

        void rejected(String input, String reason) {
            Counter.builder("cse_classifier_dead_letters").tag("input", input).tag("reason", reason)
                    .description("Inputs the classifier refused, sent to cse.classifier.dlq.v1").register(metrics).increment();
        }

        void compared(List<Decision> live, List<Decision> shadow) {
            Counter.builder("cse_classifier_shadow_comparisons").tag("live", this.live.version())
                    .tag("shadow", this.shadow.version()).register(metrics).increment();
            if (!signature(live).equals(signature(shadow))) {
                Counter.builder("cse_classifier_shadow_disagreements").tag("live", this.live.version())
                        .tag("shadow", this.shadow.version())
                        .description("Inputs on which the candidate policy decided differently from the live one")
                        .register(metrics).increment();
            }
        }

        /** What a decision does, without ids or times: the rule, the actions and where it is referred. */
        private static List<String> signature(List<Decision> decisions) {
            return decisions.stream().map(d -> d.getRuleId() + " " + d.getActions().stream().map(a -> a.getType().name()).toList()
                    + " " + d.getReferrals().stream().map(r -> r.getTarget() + "-" + Objects.toString(r.getHostingCountry(), "")
                    + (r.getPotentialMeme() ? "-meme" : "")).toList()).toList();
        }
    }

    private static final class BannedIdentifierUpdater implements Processor<String, BannedIdentifier, Void, Void> {
        private KeyValueStore<String, BannedIdentifier> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(BANNED_STORE);
        }

        @Override
        public void process(Record<String, BannedIdentifier> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null || !record.value().getBanned()) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    private static final class ApplyPolicy<V extends SpecificRecord> implements Processor<String, V, String, Object> {
        private final String inputName;
        private final Step<V> step;
        private final Serializer<V> serializer;
        private final Outcomes outcomes;
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, AccountState> history;
        private KeyValueStore<String, AccountState> shadowHistory;
        private KeyValueStore<String, BannedIdentifier> banned;

        ApplyPolicy(String inputName, Step<V> step, Serializer<V> serializer, Outcomes outcomes) {
            this.inputName = inputName;
            this.step = step;
            this.serializer = serializer;
            this.outcomes = outcomes;
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.history = context.getStateStore(HISTORY_STORE);
            this.shadowHistory = outcomes.shadow == null ? null : context.getStateStore(SHADOW_HISTORY_STORE);
            this.banned = context.getStateStore(BANNED_STORE);
        }

        @Override
        public void process(Record<String, V> record) {
            if (record.key() == null || record.value() == null) {
                reject(record, record.key() == null ? "NULL_KEY" : "NULL_VALUE",
                        inputName + " without " + (record.key() == null ? "an account id key" : "a value"));
                return;
            }
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            Predicate<Identifier> isBanned = identifier -> banned.get(identifier.getHash()) != null;
            Policy.Evaluation live = step.apply(outcomes.live, history.get(record.key()), record.value(), now, isBanned);
            if (live.rejection() != null) {
                reject(record, live.rejection().reason(), live.rejection().detail());
            } else {
                history.put(record.key(), live.state());
                for (SpecificRecord output : live.outputs()) {
                    context.forward(record.withValue(output));
                    log(output);
                }
            }
            if (outcomes.shadow != null) {
                Policy.Evaluation shadow = step.apply(outcomes.shadow, shadowHistory.get(record.key()), record.value(), now, isBanned);
                if (shadow.rejection() == null) {
                    shadowHistory.put(record.key(), shadow.state());
                    decisions(shadow).forEach(decision -> context.forward(record.withValue(new ShadowDecision(decision))));
                }
                outcomes.compared(decisions(live), decisions(shadow));
            }
        }

        private static List<Decision> decisions(Policy.Evaluation evaluation) {
            return evaluation.outputs().stream().filter(Decision.class::isInstance).map(Decision.class::cast).toList();
        }

        private void log(SpecificRecord output) {
            if (output instanceof Decision decision) {
                outcomes.decided(decision);
                LOG.info("decision {} rule {} for account {} incident {}", decision.getDecisionId(), decision.getRuleId(),
                        decision.getAccountId(), decision.getIncidentId());
            } else if (output instanceof ReviewRequest request) {
                LOG.info("review request {} priority {} for account {}", request.getRequestId(), request.getPriority(),
                        request.getAccountId());
            }
        }

        private void reject(Record<String, V> record, String reason, String detail) {
            RecordMetadata source = context.recordMetadata().orElseThrow();
            RecordHeaders headers = new RecordHeaders(record.headers().toArray());
            DeadLetters.describe(headers, "classifier-stream", reason, detail, source.topic(), source.partition(), source.offset());
            LOG.warn("dead-lettered {} {}-{}@{}: {} {}", inputName, source.topic(), source.partition(), source.offset(), reason, detail);
            outcomes.rejected(inputName, reason);
            byte[] value = record.value() == null ? null : serializer.serialize(source.topic(), record.value());
            context.forward(new Record<String, Object>(record.key(), new Rejected(value), record.timestamp(), headers));
        }
    }
}
