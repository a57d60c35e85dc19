package org.cse.escalation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.cse.escalation.state.ReferralItem;
import org.cse.escalation.state.ReferralPhase;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.PreservationRecord;
import org.cse.events.Referral;
import org.cse.events.ReferralCommand;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;
import org.cse.events.Retraction;
import org.cse.runtime.delivery.Counters;
import org.cse.runtime.delivery.DeliveryProcessor;
import org.cse.runtime.delivery.DeliveryTopology;
import org.cse.runtime.delivery.EarlierRelease;
import org.cse.runtime.delivery.ItemKeys;
import org.cse.runtime.delivery.SingleObjectSerde;
import org.cse.runtime.delivery.Step;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Escalation as a Kafka Streams application (exactly-once v2). In: {@code cse.decisions.v1} and the
 * executor's {@code cse.escalation.results.v1}, both keyed by account, co-partitioned; the previous
 * release's {@code cse.referrals.v1} as a global index. Out: commands on {@code cse.escalation.commands.v1},
 * referral states on {@code cse.referrals.v1} (the operators' view, key: referral id), preservation
 * records on {@code cse.preservation.v1}, dead letters on {@code cse.escalation.dlq.v1}. State: the
 * account's referrals ({@value #ITEMS}), the index of its finished NCMEC reports ({@value #FINISHED}:
 * kept after the referrals are pruned, read by prefix for priorCTReports, never scanned whole), the
 * preservation holds by expiry ({@value #HOLDS}), timers and the parked index. Decides nothing itself:
 * {@link ReferralMachine} does.
 */
public final class EscalationTopology {
    private static final Logger LOG = LoggerFactory.getLogger(EscalationTopology.class);
    public static final String ITEMS = "referrals";
    public static final String FINISHED = "finished-reports";
    static final String HOLDS = "preservation-holds";
    static final String EARLIER_REFERRALS = "earlier-referrals";
    static final String SERVICE = "escalation-service";
    static final String COMMANDS = "commands";
    static final String STATES = "referral-states";
    static final String PRESERVATION = "preservation";
    /** Earlier released schemas of the store's record, for {@link SingleObjectSerde}. */
    static final List<String> ITEM_HISTORY = List.of();
    /** Holds that end within this are counted as nearing expiry. */
    static final Duration NEARING_EXPIRY = Duration.ofDays(30);

    private EscalationTopology() {
    }

    public static Serde<ReferralItem> itemSerde() {
        return new SingleObjectSerde<>(ReferralItem.class, ITEM_HISTORY);
    }

    public static Topology buildTopology(SchemaRegistry registry, ReferralMachine.Settings settings, MeterRegistry metrics) {
        AtomicLong parked = new AtomicLong();
        Gauge.builder("cse_escalation_parked_referrals", parked, AtomicLong::get)
                .description("Referrals parked on this instance: retries exhausted or refused; each waits for an operator's replay")
                .register(metrics);
        DeliveryProcessor.Wiring wiring = new DeliveryProcessor.Wiring(SERVICE, DeliveryProcessor.Stores.named(ITEMS),
                Topics.DECISIONS.name(), Topics.ESCALATION_RESULTS.name(), Topics.ESCALATION_DLQ.name(),
                Topics.DECISIONS.valueSerde(registry).deserializer(), Topics.ESCALATION_RESULTS.valueSerde(registry).deserializer(),
                Duration.ofMillis(200), parked);
        Observer observer = new Observer(metrics);
        Topology topology = DeliveryTopology.build(wiring, itemSerde(), () -> new Processor(wiring, settings, observer),
                builder -> EarlierRelease.index(builder, EARLIER_REFERRALS, Topics.REFERRALS.name(),
                        Topics.REFERRALS.valueSerde(registry).deserializer(),
                        state -> KeyValue.pair(ItemKeys.of(state.getAccountId(), state.getReferralId()), state.getTarget() + "|"
                                + state.getStatus() + "|" + (state.getExternalReportId() == null ? "" : state.getExternalReportId()))));
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FINISHED), Serdes.String(), Serdes.String()),
                DeliveryTopology.PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HOLDS), Serdes.String(), Serdes.String()),
                DeliveryTopology.PROCESSOR);
        topology.addSink(COMMANDS, Topics.ESCALATION_COMMANDS.name(), new StringSerializer(),
                Topics.ESCALATION_COMMANDS.valueSerde(registry).serializer(), DeliveryTopology.PROCESSOR);
        topology.addSink(STATES, Topics.REFERRALS.name(), new StringSerializer(), Topics.REFERRALS.valueSerde(registry).serializer(),
                DeliveryTopology.PROCESSOR);
        topology.addSink(PRESERVATION, Topics.PRESERVATION.name(), new StringSerializer(),
                Topics.PRESERVATION.valueSerde(registry).serializer(), DeliveryTopology.PROCESSOR);
        return topology;
    }

    /** Metrics and log lines of what the machine did: ids, never content. */
    static final class Observer {
        private final MeterRegistry metrics;
        private final Timer knowledgeToFinished;
        private final Counter xmlReplacements;
        private final Counter duplicateUploads;
        private final Counters counters;
        private final Map<Object, Long> nearingExpiry = new ConcurrentHashMap<>();

        Observer(MeterRegistry metrics) {
            this.metrics = metrics;
            this.counters = new Counters(metrics);
            this.knowledgeToFinished = Timer.builder("cse_escalation_knowledge_to_finished")
                    .description("Legal clock: first confirmation (actual knowledge) to the NCMEC report finished")
                    .publishPercentileHistogram().register(metrics);
            this.xmlReplacements = Counter.builder("cse_escalation_xml_characters_replaced")
                    .description("Characters not allowed in XML 1.0 replaced by U+FFFD in CyberTipline reports (a report is never lost to them)")
                    .register(metrics);
            this.duplicateUploads = Counter.builder("cse_escalation_duplicate_uploads")
                    .description("Files NCMEC received twice because an upload's answer was lost (upload has no idempotency key)")
                    .register(metrics);
            Gauge.builder("cse_escalation_holds_nearing_expiry", nearingExpiry, m -> m.values().stream().mapToLong(Long::longValue).sum())
                    .description("Preservation holds of finished NCMEC reports that end within 30 days (review before they lapse)")
                    .register(metrics);
            // every series alerts and the dashboard watch, at 0 from the start (a counter first seen at 1 shows no increase)
            for (ReferralTarget target : ReferralTarget.values()) {
                for (ReferralStatus status : ReferralStatus.values()) {
                    referrals(target.name(), status.name());
                }
            }
            for (ReferralMachine.Note.Kind kind : ReferralMachine.Note.Kind.values()) {
                events(kind);
            }
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                deadLetters(reason);
            }
        }

        private Counter referrals(String target, String status) {
            return counters.counter("cse_escalation_referrals", "Referral state changes, by target and status", "target", target,
                    "status", status);
        }

        private Counter events(ReferralMachine.Note.Kind kind) {
            return counters.counter("cse_escalation_events",
                    "What the referral state machine did: admitted, submitted, finished, held, retried, parked, replayed ...", "event", kind.name());
        }

        private Counter deadLetters(DeadLetterReason reason) {
            return counters.counter("cse_escalation_dead_letters", "Records escalation refused", "reason", reason.name());
        }

        void saw(String account, ReferralMachine.Result result) {
            for (ReferralState state : result.states()) {
                referrals(state.getTarget().name(), state.getStatus().name()).increment();
            }
            result.knowledgeToFinished().forEach(knowledgeToFinished::record);
            for (ReferralMachine.Note note : result.notes()) {
                events(note.kind()).increment();
                switch (note.kind()) {
                    case XML_REPLACED -> {
                        xmlReplacements.increment(Integer.parseInt(note.detail()));
                        LOG.warn("referral {} of account {}: {} character(s) not allowed in XML replaced in the report", note.itemId(),
                                account, note.detail());
                    }
                    case DUPLICATE_UPLOADS -> {
                        duplicateUploads.increment(Integer.parseInt(note.detail().split(" ")[0]));
                        LOG.warn("referral {} of account {}: {}", note.itemId(), account, note.detail());
                    }
                    case PARKED, REPLAY_REFUSED, TIMED_OUT, REOPENED, NOTHING_TO_WITHDRAW -> LOG.warn("referral {} of account {}: {} {}",
                            note.itemId(), account, note.kind(), note.detail());
                    case RETRY, PRUNED, FILE_SENT -> LOG.debug("referral {} of account {}: {} {}", note.itemId(), account, note.kind(),
                            note.detail());
                    default -> LOG.info("referral {} of account {}: {} {}", note.itemId(), account, note.kind(), note.detail());
                }
            }
        }

        void nearingExpiry(Object task, long count) {
            nearingExpiry.put(task, count);
        }

        void forget(Object task) {
            nearingExpiry.remove(task);
        }

        void rejected(DeadLetterReason reason) {
            deadLetters(reason).increment();
        }
    }

    /** The Kafka side: gathers what the machine needs, writes what it decides. */
    static final class Processor extends DeliveryProcessor<ReferralItem> {
        private final ReferralMachine.Settings settings;
        private final Observer observer;
        private KeyValueStore<String, String> finished;
        private KeyValueStore<String, String> holds;
        private KeyValueStore<String, String> earlier;
        private Object task;

        Processor(Wiring wiring, ReferralMachine.Settings settings, Observer observer) {
            super(wiring);
            this.settings = settings;
            this.observer = observer;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context) {
            super.init(context);
            this.finished = context.getStateStore(FINISHED);
            this.holds = context.getStateStore(HOLDS);
            this.earlier = context.getStateStore(EARLIER_REFERRALS);
            this.task = context.taskId();
            countNearingExpiry(context.currentSystemTimeMs());
            context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, this::countNearingExpiry);
        }

        @Override
        public void close() {
            super.close();
            observer.forget(task);
        }

        /** Holds ending within 30 days: a range of the expiry-ordered index, never a scan of all history. */
        private void countNearingExpiry(long now) {
            long count = 0;
            try (KeyValueIterator<String, String> it = holds.range(holdKey(now, ""), holdKey(now + NEARING_EXPIRY.toMillis(), "\uffff"))) {
                while (it.hasNext()) {
                    it.next();
                    count++;
                }
            }
            observer.nearingExpiry(task, count);
        }

        static String holdKey(long until, String referralId) {
            return String.format("%016x", until) + '\u0001' + referralId;
        }

        @Override
        protected String itemId(ReferralItem item) {
            return item.getReferralId();
        }

        @Override
        protected boolean isParked(ReferralItem item) {
            return item.getPhase() == ReferralPhase.PARKED;
        }

        @Override
        protected InputChecks.Violation check(Decision decision) {
            return InputChecks.decisionReferrals(decision);
        }

        @Override
        protected boolean decisionKeyMustBeItsAccount() {
            return false;
        }

        @Override
        protected void rejected(String input, DeadLetterReason reason) {
            observer.rejected(reason);
        }

        @Override
        protected Step<ReferralItem> onDecision(String account, List<ReferralItem> items, Decision decision, Instant now) {
            Map<String, ReferralMachine.Earlier> before = new HashMap<>();
            List<String> ids = new ArrayList<>(decision.getReferrals().stream().map(Referral::getReferralId).toList());
            decision.getRetractions().stream().map(Retraction::getReferralId).forEach(ids::add);
            ids.addAll(decision.getRetractReferralIds());
            for (String id : ids) {
                String entry = earlier.get(ItemKeys.of(account, id));
                if (entry != null) {
                    String[] parts = entry.split("\\|", 3);
                    before.put(id, new ReferralMachine.Earlier(ReferralStatus.valueOf(parts[1]), parts[2].isEmpty() ? null : parts[2]));
                }
            }
            return step(account, ReferralMachine.admit(account, items, decision, new ReferralMachine.Context(finished(account), before), now,
                    settings));
        }

        @Override
        protected Step<ReferralItem> onResult(String account, List<ReferralItem> items, DeliveryResult result, Instant now) {
            return step(account, ReferralMachine.onResult(account, items, result, ReferralMachine.Context.of(finished(account)), now,
                    settings));
        }

        @Override
        protected Step<ReferralItem> onWake(String account, List<ReferralItem> items, Instant now) {
            return step(account, ReferralMachine.onWake(account, items, ReferralMachine.Context.of(finished(account)), now, settings));
        }

        /** The account's finished NCMEC reports: this release's index, and what the previous release finished. */
        private Map<String, String> finished(String account) {
            Map<String, String> reports = new LinkedHashMap<>();
            try (KeyValueIterator<String, String> it = earlier.prefixScan(ItemKeys.prefix(account), new StringSerializer())) {
                while (it.hasNext()) {
                    KeyValue<String, String> entry = it.next();
                    String[] parts = entry.value.split("\\|", 3);
                    if (parts[0].equals(ReferralTarget.NCMEC.name()) && parts[1].equals(ReferralStatus.FINISHED.name()) && !parts[2].isEmpty()) {
                        reports.put(ItemKeys.itemOf(entry.key), parts[2]);
                    }
                }
            }
            try (KeyValueIterator<String, String> it = finished.prefixScan(ItemKeys.prefix(account), new StringSerializer())) {
                while (it.hasNext()) {
                    KeyValue<String, String> entry = it.next();
                    reports.put(ItemKeys.itemOf(entry.key), entry.value);
                }
            }
            return reports;
        }

        private Step<ReferralItem> step(String account, ReferralMachine.Result result) {
            observer.saw(account, result);
            result.finishedReports().forEach((referral, report) -> finished.put(ItemKeys.of(account, referral), report));
            List<Step.Output> outputs = new ArrayList<>();
            for (ReferralCommand command : result.commands()) {
                outputs.add(Step.Output.of(COMMANDS, account, command));
            }
            for (ReferralState state : result.states()) {
                outputs.add(new Step.Output(STATES, state.getReferralId(), state, EarlierRelease.writtenBy(SERVICE)));
            }
            for (PreservationRecord record : result.preservations()) {
                holds.put(holdKey(record.getPreserveUntil().toEpochMilli(), record.getReferralId()), record.getReportId());
                outputs.add(Step.Output.of(PRESERVATION, account, record));
            }
            return new Step<>(result.put(), result.removed(), outputs, result.wake());
        }
    }
}
