package org.cse.enforcement;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.cse.events.Action;
import org.cse.events.ActionOutcome;
import org.cse.events.ActionType;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.OutcomeStatus;
import org.cse.runtime.DeadLetterException;
import org.cse.runtime.TransactionalLoop;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One decision in, its account actions applied at the platform, one outcome per action out, and the
 * banned (or unbanned) identifier hashes published for sign-up checks and ban-evasion detection.
 */
final class EnforcementHandler implements TransactionalLoop.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(EnforcementHandler.class);

    private final PlatformClient platform;
    private final Serde<Decision> decisions;
    private final Serde<ActionOutcome> outcomes;
    private final Serde<BannedIdentifier> bans;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final Timer decisionToAction;

    EnforcementHandler(PlatformClient platform, SchemaRegistry registry, Clock clock, MeterRegistry metrics) {
        this.platform = platform;
        this.decisions = Topics.DECISIONS.valueSerde(registry);
        this.outcomes = Topics.ENFORCEMENT_OUTCOMES.valueSerde(registry);
        this.bans = Topics.BANNED_IDENTIFIERS.valueSerde(registry);
        this.clock = clock;
        this.metrics = metrics;
        this.decisionToAction = Timer.builder("cse_enforcement_decision_to_applied")
                .description("From decision to all of its actions settled at the platform")
                .publishPercentileHistogram().register(metrics);
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) throws Exception {
        Decision decision = TransactionalLoop.readValue(record, decisions.deserializer(), "decision");
        InputChecks.Violation violation = InputChecks.decisionActions(decision);
        if (violation != null) {
            throw new DeadLetterException(DeadLetterReason.INVALID_FIELD, violation.message());
        }
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        for (Action action : decision.getActions()) {
            PlatformClient.Result result = platform.apply(decision, action);
            Instant now = clock.instant();
            LOG.info("action {} {} for account {}: {} after {} attempt(s)", action.getActionId(), action.getType(),
                    decision.getAccountId(), result.status(), result.attempts());
            Counter.builder("cse_enforcement_actions").tag("type", action.getType().name())
                    .tag("status", result.status().name()).register(metrics).increment();
            ActionOutcome outcome = ActionOutcome.newBuilder()
                    .setActionId(action.getActionId())
                    .setDecisionId(decision.getDecisionId())
                    .setAccountId(decision.getAccountId())
                    .setType(action.getType())
                    .setStatus(result.status())
                    .setHttpStatus(result.httpStatus())
                    .setAttempts(result.attempts())
                    .setDetail(result.detail())
                    .setAt(now)
                    .build();
            outputs.add(record(Topics.ENFORCEMENT_OUTCOMES.name(), decision.getAccountId(),
                    outcomes.serializer().serialize(Topics.ENFORCEMENT_OUTCOMES.name(), outcome)));
            boolean applied = result.status() == OutcomeStatus.APPLIED || result.status() == OutcomeStatus.ALREADY_APPLIED;
            if (applied && (action.getType() == ActionType.BAN_IDENTIFIERS || action.getType() == ActionType.UNBAN_IDENTIFIERS)) {
                for (Identifier identifier : action.getIdentifierHashes()) {
                    BannedIdentifier ban = BannedIdentifier.newBuilder()
                            .setIdentifierHash(identifier.getHash())
                            .setType(identifier.getType())
                            .setAccountId(decision.getAccountId())
                            .setDecisionId(decision.getDecisionId())
                            .setBanned(action.getType() == ActionType.BAN_IDENTIFIERS)
                            .setAt(now)
                            .build();
                    outputs.add(record(Topics.BANNED_IDENTIFIERS.name(), identifier.getHash(),
                            bans.serializer().serialize(Topics.BANNED_IDENTIFIERS.name(), ban)));
                }
            }
        }
        decisionToAction.record(Duration.between(decision.getDecidedAt(), clock.instant()));
        return outputs;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }
}
