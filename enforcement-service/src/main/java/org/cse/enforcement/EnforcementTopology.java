package org.cse.enforcement;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.cse.enforcement.state.ActionItem;
import org.cse.enforcement.state.ActionStatus;
import org.cse.events.Action;
import org.cse.events.ActionCommand;
import org.cse.events.ActionOutcome;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.OutcomeStatus;
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
 * Enforcement as a Kafka Streams application (exactly-once v2). In: {@code cse.decisions.v1} and the
 * executor's {@code cse.enforcement.results.v1}, both keyed by account, co-partitioned; the previous
 * release's {@code cse.enforcement.outcomes.v1} as a global index. Out: commands on
 * {@code cse.enforcement.commands.v1}, outcomes on {@code cse.enforcement.outcomes.v1}, banned
 * identifiers on {@code cse.bans.identifiers.v1}, dead letters on {@code cse.enforcement.dlq.v1}.
 * State: the account's actions (store {@value #ITEMS}, key account + action id), its wake-up timers
 * and the parked index. Decides nothing itself: {@link ActionMachine} does.
 */
public final class EnforcementTopology {
    private static final Logger LOG = LoggerFactory.getLogger(EnforcementTopology.class);
    public static final String ITEMS = "actions";
    static final String EARLIER_OUTCOMES = "earlier-outcomes";
    static final String SERVICE = "enforcement-service";
    static final String COMMANDS = "commands";
    static final String OUTCOMES = "outcomes";
    static final String BANS = "bans";
    /** Earlier released schemas of the store's record, for {@link SingleObjectSerde}. */
    static final List<String> ITEM_HISTORY = List.of();

    private EnforcementTopology() {
    }

    public static Serde<ActionItem> itemSerde() {
        return new SingleObjectSerde<>(ActionItem.class, ITEM_HISTORY);
    }

    public static Topology buildTopology(SchemaRegistry registry, ActionMachine.Settings settings, MeterRegistry metrics) {
        AtomicLong parked = new AtomicLong();
        Gauge.builder("cse_enforcement_parked_actions", parked, AtomicLong::get)
                .description("Actions parked on this instance: retries exhausted or refused by the platform; each waits for an operator's replay")
                .register(metrics);
        DeliveryProcessor.Wiring wiring = new DeliveryProcessor.Wiring(SERVICE, DeliveryProcessor.Stores.named(ITEMS),
                Topics.DECISIONS.name(), Topics.ENFORCEMENT_RESULTS.name(), Topics.ENFORCEMENT_DLQ.name(),
                Topics.DECISIONS.valueSerde(registry).deserializer(), Topics.ENFORCEMENT_RESULTS.valueSerde(registry).deserializer(),
                Duration.ofMillis(200), parked);
        Observer observer = new Observer(metrics);
        Topology topology = DeliveryTopology.build(wiring, itemSerde(), () -> new Processor(wiring, settings, observer),
                builder -> EarlierRelease.index(builder, EARLIER_OUTCOMES, Topics.ENFORCEMENT_OUTCOMES.name(),
                        Topics.ENFORCEMENT_OUTCOMES.valueSerde(registry).deserializer(),
                        outcome -> KeyValue.pair(ItemKeys.of(outcome.getAccountId(), outcome.getActionId()), outcome.getStatus().name())));
        topology.addSink(COMMANDS, Topics.ENFORCEMENT_COMMANDS.name(), new StringSerializer(),
                Topics.ENFORCEMENT_COMMANDS.valueSerde(registry).serializer(), DeliveryTopology.PROCESSOR);
        topology.addSink(OUTCOMES, Topics.ENFORCEMENT_OUTCOMES.name(), new StringSerializer(),
                Topics.ENFORCEMENT_OUTCOMES.valueSerde(registry).serializer(), DeliveryTopology.PROCESSOR);
        topology.addSink(BANS, Topics.BANNED_IDENTIFIERS.name(), new StringSerializer(),
                Topics.BANNED_IDENTIFIERS.valueSerde(registry).serializer(), DeliveryTopology.PROCESSOR);
        return topology;
    }

    /** Metrics and log lines of what the machine did: ids, never content. */
    static final class Observer {
        private final Timer decisionToApplied;
        private final Counters counters;

        Observer(MeterRegistry metrics) {
            this.counters = new Counters(metrics);
            this.decisionToApplied = Timer.builder("cse_enforcement_decision_to_applied")
                    .description("From decision to all of its actions settled at the platform (applied or parked)")
                    .publishPercentileHistogram().register(metrics);
            // every series alerts and the dashboard watch, at 0 from the start (a counter first seen at 1 shows no increase)
            for (org.cse.events.ActionType type : org.cse.events.ActionType.values()) {
                for (OutcomeStatus status : OutcomeStatus.values()) {
                    actions(type.name(), status.name());
                }
            }
            for (ActionMachine.Note.Kind kind : ActionMachine.Note.Kind.values()) {
                events(kind);
            }
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                deadLetters(reason);
            }
        }

        private Counter actions(String type, String status) {
            return counters.counter("cse_enforcement_actions", "Account actions settled at the platform, by type and outcome",
                    "type", type, "status", status);
        }

        private Counter events(ActionMachine.Note.Kind kind) {
            return counters.counter("cse_enforcement_events",
                    "What the action state machine did: admitted, applied, retried, parked, replayed, pruned ...", "event", kind.name());
        }

        private Counter deadLetters(DeadLetterReason reason) {
            return counters.counter("cse_enforcement_dead_letters", "Records enforcement refused", "reason", reason.name());
        }

        void saw(String account, ActionMachine.Result result) {
            for (ActionOutcome outcome : result.outcomes()) {
                actions(outcome.getType().name(), outcome.getStatus().name()).increment();
            }
            result.decisionsSettled().values().forEach(decisionToApplied::record);
            for (ActionMachine.Note note : result.notes()) {
                events(note.kind()).increment();
                switch (note.kind()) {
                    case PARKED, REPLAY_REFUSED, TIMED_OUT -> LOG.warn("action {} of account {}: {} {}", note.itemId(), account,
                            note.kind(), note.detail());
                    case APPLIED, REPLAYED, SEEDED, DUPLICATE, STALE_RESULT -> LOG.info("action {} of account {}: {} {}", note.itemId(),
                            account, note.kind(), note.detail());
                    default -> LOG.debug("action {} of account {}: {} {}", note.itemId(), account, note.kind(), note.detail());
                }
            }
        }

        void rejected(DeadLetterReason reason) {
            deadLetters(reason).increment();
        }
    }

    /** The Kafka side: gathers what the machine needs, writes what it decides. */
    static final class Processor extends DeliveryProcessor<ActionItem> {
        private final ActionMachine.Settings settings;
        private final Observer observer;
        private KeyValueStore<String, String> earlier;

        Processor(Wiring wiring, ActionMachine.Settings settings, Observer observer) {
            super(wiring);
            this.settings = settings;
            this.observer = observer;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context) {
            super.init(context);
            this.earlier = context.getStateStore(EARLIER_OUTCOMES);
        }

        @Override
        protected String itemId(ActionItem item) {
            return item.getCall().getAction().getActionId();
        }

        @Override
        protected boolean isParked(ActionItem item) {
            return item.getStatus() == ActionStatus.PARKED;
        }

        @Override
        protected InputChecks.Violation check(Decision decision) {
            return InputChecks.decisionActions(decision);
        }

        @Override
        protected void rejected(String input, DeadLetterReason reason) {
            observer.rejected(reason);
        }

        @Override
        protected Step<ActionItem> onDecision(String account, List<ActionItem> items, Decision decision, Instant now) {
            Map<String, OutcomeStatus> before = new HashMap<>();
            for (Action action : decision.getActions()) {
                String status = earlier.get(ItemKeys.of(account, action.getActionId()));
                if (status != null) {
                    before.put(action.getActionId(), OutcomeStatus.valueOf(status));
                }
            }
            return step(account, ActionMachine.admit(account, items, decision, before, now, settings));
        }

        @Override
        protected Step<ActionItem> onResult(String account, List<ActionItem> items, DeliveryResult result, Instant now) {
            return step(account, ActionMachine.onResult(account, items, result, now, settings));
        }

        @Override
        protected Step<ActionItem> onWake(String account, List<ActionItem> items, Instant now) {
            return step(account, ActionMachine.onWake(account, items, now, settings));
        }

        private Step<ActionItem> step(String account, ActionMachine.Result result) {
            observer.saw(account, result);
            List<Step.Output> outputs = new ArrayList<>();
            for (ActionCommand command : result.commands()) {
                outputs.add(Step.Output.of(COMMANDS, account, command));
            }
            for (ActionOutcome outcome : result.outcomes()) {
                outputs.add(new Step.Output(OUTCOMES, account, outcome, EarlierRelease.writtenBy(SERVICE)));
            }
            for (BannedIdentifier ban : result.bans()) {
                outputs.add(Step.Output.of(BANS, ban.getIdentifierHash(), ban));
            }
            return new Step<>(result.put(), result.removed(), outputs, result.wake());
        }
    }
}
