package org.cse.classifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Deserializer;
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
import org.cse.classifier.state.AccountState;
import org.cse.events.Appeal;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.events.Verdict;
import org.cse.runtime.RecordKeys;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Limits;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.cse.schemas.registry.SchemaRegistryException;
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
    public static final String HISTORY_STORE = SplitHistory.Stores.LIVE.summaries();
    /** The live policy's four history stores (summaries, incidents, report ids, index), for tools that read their changelogs. */
    public static final List<String> HISTORY_STORES = SplitHistory.Stores.LIVE.names();
    public static final String BANNED_STORE = "banned-identifiers";

    private ClassifierTopology() {
    }

    /**
     * @param shadow a candidate policy to run beside the live one, or null
     */
    public static Topology buildTopology(SchemaRegistry registry, Policy live, Policy shadow, MeterRegistry metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        AccountStateSerde stateSerde = new AccountStateSerde(registry);
        addHistoryStores(builder, SplitHistory.Stores.LIVE);
        if (shadow != null) {
            addHistoryStores(builder, SplitHistory.Stores.SHADOW);
        }
        Serde<BannedIdentifier> bannedSerde = Topics.BANNED_IDENTIFIERS.valueSerde(registry);
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BANNED_STORE), Serdes.String(), bannedSerde)
                        .withLoggingDisabled(),
                Topics.BANNED_IDENTIFIERS.name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("banned-identifiers-source"),
                () -> new BannedIdentifierUpdater(bannedSerde, metrics));

        String[] stores = SplitHistory.Stores.LIVE.names().toArray(String[]::new);
        Outcomes outcomes = new Outcomes(metrics, live.forSplitHistory(), shadow == null ? null : shadow.forSplitHistory(), stateSerde);
        KStream<String, Object> outputs = input(builder, registry, Topics.REPORTS, "report", outcomes, Report::getAccountId,
                InputChecks::report, SplitHistory::forReport,
                (policy, state, report, now, banned) -> policy.onReport(state, report, now), stores)
                .merge(input(builder, registry, Topics.VERDICTS, "verdict", outcomes, Verdict::getAccountId, InputChecks::verdict,
                        SplitHistory::forVerdict, (policy, state, verdict, now, banned) -> policy.onVerdict(state, verdict, now), stores),
                        Named.as("merge-verdict-outputs"))
                .merge(input(builder, registry, Topics.APPEALS, "appeal", outcomes, Appeal::getAccountId, InputChecks::appeal,
                        (history, account, appeal) -> history.forAppeal(account),
                        (policy, state, appeal, now, banned) -> policy.onAppeal(state, appeal, now), stores),
                        Named.as("merge-appeal-outputs"))
                .merge(input(builder, registry, Topics.ACCOUNT_EVENTS, "account-event", outcomes, AccountEvent::getAccountId,
                        InputChecks::accountEvent, (history, account, event) -> history.forAccountEvent(account),
                        Policy::onAccountEvent, stores), Named.as("merge-account-event-outputs"));
        if (shadow != null) {
            // its own node: whatever the candidate does, the input stays decided by the live policy alone
            outputs = outputs.process(() -> new ShadowPolicy(outcomes), Named.as("apply-shadow-policy"),
                    SplitHistory.Stores.SHADOW.names().toArray(String[]::new));
        }

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
                .map((account, value) -> KeyValue.pair(((Rejected) value).key(), ((Rejected) value).value()), Named.as("as-dead-letter"))
                .to(Topics.CLASSIFIER_DLQ.name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dead-letters-sink"));
        return builder.build();
    }

    /**
     * One policy's history stores, cached: an account's counters, summary and busy incident are written
     * several times within one commit interval (a viral burst writes the same few keys for every report);
     * the cache folds them into one changelog record and one RocksDB write per commit.
     */
    private static void addHistoryStores(StreamsBuilder builder, SplitHistory.Stores stores) {
        stores.names().forEach(name -> builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name),
                Serdes.String(), Serdes.ByteArray()).withCachingEnabled()));
    }

    /**
     * One input topic, read as bytes: the processor decodes it, so that a record it must refuse reaches
     * the dead-letter topic as the bytes that arrived, never a re-encoding.
     */
    private static <V extends SpecificRecord> KStream<String, Object> input(StreamsBuilder builder, SchemaRegistry registry,
                                                                          Topic<String, V> topic, String name, Outcomes outcomes,
                                                                          Function<V, String> accountOf, Check<V> check,
                                                                          Load<V> load, Step<V> step, String[] stores) {
        Deserializer<V> deserializer = topic.valueSerde(registry).deserializer();
        return builder.stream(topic.name(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "s-source"))
                .process(() -> new ApplyPolicy<>(name, deserializer, accountOf, check, load, step, outcomes),
                        Named.as("apply-policy-to-" + name), stores);
    }

    /** One input kind's field rules (see {@link InputChecks}). */
    @FunctionalInterface
    interface Check<V> {
        InputChecks.Violation violation(V input, Instant now);
    }

    /** What of an account's history one input kind needs (see {@link SplitHistory}). */
    @FunctionalInterface
    interface Load<V> {
        SplitHistory.Loaded load(SplitHistory history, String account, V input);
    }

    /** One input kind's policy function. */
    @FunctionalInterface
    interface Step<V> {
        Policy.Evaluation apply(Policy policy, AccountState state, V input, Instant now, Predicate<Identifier> banned);
    }

    /** A refused input, bound for the dead-letter topic: the original bytes (cut to fit, if need be), the reason in headers. */
    record Rejected(byte[] key, byte[] value) {}

    /** A decision of the candidate policy. */
    record ShadowDecision(Decision decision) {}

    /**
     * An input the live policy has taken, for the shadow policy's node: how to evaluate it against a
     * history, and what the live policy decided (to compare).
     */
    record ShadowInput(String inputName, Function<SplitHistory, SplitHistory.Loaded> load, ShadowStep step, List<Decision> live) {}

    /** One input evaluated by a policy against a history, with the banned-identifier lookup. */
    @FunctionalInterface
    interface ShadowStep {
        Policy.Evaluation apply(Policy policy, AccountState state, Predicate<Identifier> banned);
    }

    /** The policies and the meters every processor shares. */
    static final class Outcomes {
        final Policy live;
        final Policy shadow;
        final MeterRegistry metrics;
        final AccountStateSerde stateSerde;

        Outcomes(MeterRegistry metrics, Policy live, Policy shadow, AccountStateSerde stateSerde) {
            this.metrics = metrics;
            this.stateSerde = stateSerde;
            this.live = live;
            this.shadow = shadow;
            registerAtStart();
        }

        /** The inputs, by the names metrics and dead letters use. */
        static final List<String> INPUTS = List.of("report", "verdict", "appeal", "account-event");

        /**
         * Every series an alert or the dashboard watches, at 0 from the start: a counter that first
         * appears at 1 shows Prometheus no increase, so the first dead letter of a kind would not alert.
         */
        private void registerAtStart() {
            for (org.cse.schemas.RuleId rule : org.cse.schemas.RuleId.values()) {
                Counter.builder("cse_classifier_decisions").tag("rule", rule.id()).tag("policy", live.version()).register(metrics);
            }
            for (String input : INPUTS) {
                for (DeadLetterReason reason : DeadLetterReason.values()) {
                    rejected(input, reason, 0);
                }
                duplicate(input, 0);
            }
            trimmed("input", 0);
            trimmed("state", 0);
            if (shadow != null) {
                Counter.builder("cse_classifier_shadow_comparisons").tag("live", live.version()).tag("shadow", shadow.version())
                        .register(metrics);
                INPUTS.forEach(input -> shadowFailed(input, 0));
            }
        }

        void decided(Decision decision) {
            Counter.builder("cse_classifier_decisions").tag("rule", decision.getRuleId())
                    .tag("policy", decision.getPolicyVersion()).register(metrics).increment();
        }

        void rejected(String input, DeadLetterReason reason) {
            rejected(input, reason, 1);
        }

        private void rejected(String input, DeadLetterReason reason, int count) {
            Counter.builder("cse_classifier_dead_letters").tag("input", input).tag("reason", reason.name())
                    .description("Inputs the classifier refused, sent to cse.classifier.dlq.v1").register(metrics).increment(count);
        }

        void shadowFailed(String input, int count) {
            Counter.builder("cse_classifier_shadow_failures").tag("shadow", shadow.version()).tag("input", input)
                    .description("Inputs the candidate policy failed on (the live decision stands; nothing dead-lettered)")
                    .register(metrics).increment(count);
        }

        /** Items cut from a record or from an account's history to keep it within its bounds. */
        void trimmed(String what, int count) {
            Counter.builder("cse_classifier_trimmed_items").tag("what", what)
                    .description("Items cut to keep records and account histories within their size bounds "
                            + "(input: over-limit items of a report that bypassed intake; state: old history)")
                    .register(metrics).increment(count);
        }

        void duplicate(String input) {
            duplicate(input, 1);
        }

        private void duplicate(String input, int count) {
            Counter.builder("cse_classifier_duplicate_inputs").tag("input", input)
                    .description("Inputs repeating one already taken (same id, same content): retries, ignored").register(metrics)
                    .increment(count);
        }

        /**
         * Counts a comparison, and a disagreement with the rule each side applied (or {@code none}), so an
         * operator sees which row of the table the candidate policy changes.
         */
        void compared(List<Decision> live, List<Decision> shadow) {
            Counter.builder("cse_classifier_shadow_comparisons").tag("live", this.live.version())
                    .tag("shadow", this.shadow.version()).register(metrics).increment();
            if (!signature(live).equals(signature(shadow))) {
                Counter.builder("cse_classifier_shadow_disagreements").tag("live", this.live.version())
                        .tag("shadow", this.shadow.version()).tag("live_rule", rules(live)).tag("shadow_rule", rules(shadow))
                        .description("Inputs on which the candidate policy decided differently from the live one, by the rules each applied")
                        .register(metrics).increment();
            }
        }

        private static String rules(List<Decision> decisions) {
            return decisions.isEmpty() ? "none" : String.join("+", decisions.stream().map(Decision::getRuleId).toList());
        }

        /**
         * What a decision does, without ids or times: the rule, the actions, where it is referred and what
         * the referral tells NCMEC (incident type, annotations, high priority).
         */
        private static List<String> signature(List<Decision> decisions) {
            return decisions.stream().map(d -> d.getRuleId() + " " + d.getActions().stream().map(a -> a.getType().name()).toList()
                    + " " + d.getReferrals().stream().map(r -> r.getTarget() + "-" + Objects.toString(r.getHostingCountry(), "")
                    + (r.getPotentialMeme() ? "-meme" : "") + " " + r.getIncidentType() + " " + r.getReportAnnotations() + " "
                    + r.getFileAnnotations() + (r.getEscalateToHighPriority() != null ? " high-priority" : "")).toList()).toList();
        }
    }

    /**
     * Keeps the global banned-identifier store. It reads bytes: a record it cannot read is skipped,
     * counted and logged with its coordinates (a global store's thread cannot write dead letters; the
     * topic is written by enforcement alone).
     */
    private static final class BannedIdentifierUpdater implements Processor<byte[], byte[], Void, Void> {
        private final Serde<BannedIdentifier> serde;
        private final MeterRegistry metrics;
        private ProcessorContext<Void, Void> context;
        private KeyValueStore<String, BannedIdentifier> store;

        BannedIdentifierUpdater(Serde<BannedIdentifier> serde, MeterRegistry metrics) {
            this.serde = serde;
            this.metrics = metrics;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            store = context.getStateStore(BANNED_STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            String key = record.key() == null ? null : RecordKeys.decode(record.key());
            if (key == null) {
                skip("a key that is not a valid identifier hash");
                return;
            }
            BannedIdentifier ban = null;
            if (record.value() != null) {
                try {
                    ban = serde.deserializer().deserialize(Topics.BANNED_IDENTIFIERS.name(), record.value());
                } catch (RuntimeException e) {
                    if (SchemaRegistryException.isOutage(e)) {
                        throw e;
                    }
                    skip("a value that is not a BannedIdentifier");
                    return;
                }
            }
            if (ban == null || !ban.getBanned()) {
                store.delete(key);
            } else {
                store.put(key, ban);
            }
        }

        private void skip(String what) {
            RecordMetadata source = context.recordMetadata().orElse(null);
            LOG.warn("skipped a banned-identifier record with {} at {}-{}@{}", what, source == null ? "?" : source.topic(),
                    source == null ? -1 : source.partition(), source == null ? -1 : source.offset());
            Counter.builder("cse_classifier_banned_identifiers_skipped")
                    .description("Records on cse.bans.identifiers.v1 the classifier could not read and skipped")
                    .register(metrics).increment();
        }
    }

    private static List<Decision> decisions(Policy.Evaluation evaluation) {
        return evaluation.outputs().stream().filter(Decision.class::isInstance).map(Decision.class::cast).toList();
    }

    /**
     * The candidate policy, in a node of its own after the live one: it keeps its own history and emits
     * shadow decisions, and any failure of it is caught, counted and logged here, so it can never fail,
     * dead-letter or hold up an input the live policy has already decided. Everything else passes through.
     */
    private static final class ShadowPolicy implements Processor<String, Object, String, Object> {
        private final Outcomes outcomes;
        private ProcessorContext<String, Object> context;
        private SplitHistory history;
        private KeyValueStore<String, BannedIdentifier> banned;

        ShadowPolicy(Outcomes outcomes) {
            this.outcomes = outcomes;
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.history = SplitHistory.open(context, SplitHistory.Stores.SHADOW, outcomes.stateSerde);
            this.banned = context.getStateStore(BANNED_STORE);
        }

        @Override
        public void process(Record<String, Object> record) {
            if (!(record.value() instanceof ShadowInput input)) {
                context.forward(record);
                return;
            }
            String account = record.key();
            SplitHistory.Loaded loaded = input.load().apply(history);
            Policy.Evaluation shadow;
            try {
                shadow = input.step().apply(outcomes.shadow, loaded.partial(), identifier -> banned.get(identifier.getHash()) != null);
            } catch (RuntimeException e) {
                if (SchemaRegistryException.isOutage(e)) {
                    throw e; // not the candidate's fault: the task fails and the record is read again
                }
                RecordMetadata source = context.recordMetadata().orElse(null);
                LOG.warn("shadow policy {} failed on the {} at {}-{}@{} for account {}: {}", outcomes.shadow.version(), input.inputName(),
                        source == null ? "?" : source.topic(), source == null ? -1 : source.partition(),
                        source == null ? -1 : source.offset(), account, e.getClass().getName());
                outcomes.shadowFailed(input.inputName(), 1);
                return;
            }
            // outside the catch: the write is the same code as the live history's, and a failure in it half-way
            // must fail the task (the transaction aborts) rather than leave the shadow's entries half-written
            if (shadow.rejection() == null && !shadow.duplicate()) {
                history.write(account, loaded, shadow);
                decisions(shadow).forEach(decision -> context.forward(new Record<String, Object>(account,
                        new ShadowDecision(decision), record.timestamp())));
            }
            outcomes.compared(input.live(), decisions(shadow));
        }
    }

    private static final class ApplyPolicy<V extends SpecificRecord> implements Processor<byte[], byte[], String, Object> {
        private final String inputName;
        private final Deserializer<V> deserializer;
        private final Function<V, String> accountOf;
        private final Check<V> check;
        private final Load<V> load;
        private final Step<V> step;
        private final Outcomes outcomes;
        private ProcessorContext<String, Object> context;
        private SplitHistory history;
        private KeyValueStore<String, BannedIdentifier> banned;

        ApplyPolicy(String inputName, Deserializer<V> deserializer, Function<V, String> accountOf, Check<V> check, Load<V> load,
                    Step<V> step, Outcomes outcomes) {
            this.inputName = inputName;
            this.deserializer = deserializer;
            this.accountOf = accountOf;
            this.check = check;
            this.load = load;
            this.step = step;
            this.outcomes = outcomes;
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.history = SplitHistory.open(context, SplitHistory.Stores.LIVE, outcomes.stateSerde);
            this.banned = context.getStateStore(BANNED_STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            RecordMetadata source = context.recordMetadata().orElseThrow();
            if (record.key() == null) {
                reject(record, source, DeadLetterReason.NULL_KEY, inputName + " without an account id key");
                return;
            }
            String account = RecordKeys.decode(record.key());
            if (account == null || !Limits.isId(account)) {
                reject(record, source, DeadLetterReason.INVALID_FIELD, "key: the account id must be " + Limits.ID_RULE);
                return;
            }
            if (record.value() == null) {
                reject(record, source, DeadLetterReason.NULL_VALUE, inputName + " without a value");
                return;
            }
            V input;
            try {
                input = deserializer.deserialize(source.topic(), record.value());
            } catch (RuntimeException e) {
                if (SchemaRegistryException.isOutage(e)) {
                    throw e; // not the record's fault: the task fails and the record is read again
                }
                reject(record, source, DeadLetterReason.DESERIALIZATION, e.getMessage());
                return;
            }
            if (!account.equals(accountOf.apply(input))) {
                reject(record, source, DeadLetterReason.KEY_MISMATCH, "the key is not the account id the " + inputName + " names");
                return;
            }
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            InputChecks.Violation violation = check.violation(input, now);
            if (violation != null) {
                reject(record, source, DeadLetterReason.INVALID_FIELD, violation.message());
                return;
            }
            if (input instanceof Report report) {
                InputChecks.Fitted fitted = InputChecks.fitCounts(report);
                if (fitted.itemsCut() > 0) {
                    outcomes.trimmed("input", fitted.itemsCut());
                    LOG.warn("report {} at {}-{}@{} is over the item limits: {} item(s) cut", report.getReportId(), source.topic(),
                            source.partition(), source.offset(), fitted.itemsCut());
                    @SuppressWarnings("unchecked")
                    V cut = (V) fitted.report();
                    input = cut;
                }
            }
            Predicate<Identifier> isBanned = identifier -> banned.get(identifier.getHash()) != null;
            SplitHistory.Loaded loaded = load.load(history, account, input);
            Policy.Evaluation live = step.apply(outcomes.live, loaded.partial(), input, now, isBanned);
            if (live.rejection() != null) {
                reject(record, source, live.rejection().reason(), live.rejection().detail());
            } else if (live.duplicate()) {
                outcomes.duplicate(inputName);
                LOG.info("{} at {}-{}@{} repeats one already taken: ignored", inputName, source.topic(), source.partition(), source.offset());
            } else {
                int trimmed = history.write(account, loaded, live); // the split policy trims nothing itself: the history does
                if (trimmed > 0) {
                    outcomes.trimmed("state", trimmed);
                    LOG.warn("history of account {} trimmed by {} item(s) to stay within its size budget", account, trimmed);
                }
                for (SpecificRecord output : live.outputs()) {
                    context.forward(new Record<String, Object>(account, output, record.timestamp()));
                    log(output);
                }
            }
            if (outcomes.shadow != null) {
                V taken = input;
                context.forward(new Record<String, Object>(account, new ShadowInput(inputName,
                        shadowHistory -> load.load(shadowHistory, account, taken),
                        (policy, state, bannedLookup) -> step.apply(policy, state, taken, now, bannedLookup), decisions(live)),
                        record.timestamp()));
            }
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

        private void reject(Record<byte[], byte[]> record, RecordMetadata source, DeadLetterReason reason, String detail) {
            LOG.warn("dead-lettered {} {}-{}@{}: {} {}", inputName, source.topic(), source.partition(), source.offset(), reason, detail);
            outcomes.rejected(inputName, reason);
            ProducerRecord<byte[], byte[]> dead = DeadLetters.record(Topics.CLASSIFIER_DLQ.name(), record.key(), record.value(),
                    record.headers(), new DeadLetters.Cause("classifier-stream", reason, detail, source.topic(), source.partition(),
                            source.offset()));
            context.forward(new Record<String, Object>(null, new Rejected(dead.key(), dead.value()), record.timestamp(),
                    dead.headers()));
        }
    }
}
