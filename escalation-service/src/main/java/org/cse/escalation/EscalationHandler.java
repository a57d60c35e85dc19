package org.cse.escalation;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.function.CheckedSupplier;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;
import org.cse.events.Retraction;
import org.cse.runtime.DeadLetterException;
import org.cse.runtime.TransactionalLoop;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers each referral of a decision through a persisted state machine:
 * BUILT → (submit) SUBMITTED with NCMEC's report id → (finish) FINISHED. Every state is written and
 * acknowledged before the next call, and a referral already FINISHED is never touched again, so a
 * retry or crash never yields a second finished report. The one window left — a crash after NCMEC
 * opened a report and before its id was stored — leaves an unfinished report that NCMEC deletes on
 * its own; it is never finished twice.
 */
final class EscalationHandler implements TransactionalLoop.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(EscalationHandler.class);

    private final CyberTiplineClient ncmec;
    private final HotlineClient hotlines;
    private final CyberTiplineReport.Reporter reporter;
    private final ReferralStates states;
    private final Serde<Decision> decisions;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final RetryPolicy<Object> retry;
    private final Timer knowledgeToFinished;
    private final Counter xmlReplacements;

    EscalationHandler(CyberTiplineClient ncmec, HotlineClient hotlines, CyberTiplineReport.Reporter reporter, ReferralStates states,
                      SchemaRegistry registry, Clock clock, MeterRegistry metrics, int maxAttempts, Duration initialBackoff,
                      Duration maxBackoff) {
        this.ncmec = ncmec;
        this.hotlines = hotlines;
        this.reporter = reporter;
        this.states = states;
        this.decisions = Topics.DECISIONS.valueSerde(registry);
        this.clock = clock;
        this.metrics = metrics;
        this.retry = RetryPolicy.builder()
                .handleIf(failure -> failure instanceof DeliveryException d && d.isTransient())
                .withMaxAttempts(maxAttempts)
                .withBackoff(initialBackoff, maxBackoff)
                .withJitter(0.2)
                .build();
        this.xmlReplacements = Counter.builder("cse_escalation_xml_characters_replaced")
                .description("Characters not allowed in XML 1.0 replaced by U+FFFD in CyberTipline reports (a report is never lost to them)")
                .register(metrics);
        this.knowledgeToFinished = Timer.builder("cse_escalation_knowledge_to_finished")
                .description("Legal clock: first confirmation (actual knowledge) to the NCMEC report finished")
                .publishPercentileHistogram().register(metrics);
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) throws Exception {
        Decision decision = TransactionalLoop.readValue(record, decisions.deserializer(), "decision");
        InputChecks.Violation violation = InputChecks.decisionReferrals(decision);
        if (violation != null) {
            throw new DeadLetterException(DeadLetterReason.INVALID_FIELD, violation.message());
        }
        for (Referral referral : decision.getReferrals()) {
            ReferralState state = states.get(referral.getReferralId()).orElse(null);
            if (state != null && (state.getStatus() == ReferralStatus.FINISHED || state.getStatus() == ReferralStatus.RETRACTED)) {
                LOG.info("referral {} already {}: nothing to do", referral.getReferralId(), state.getStatus());
                continue;
            }
            try {
                if (referral.getTarget() == ReferralTarget.NCMEC) {
                    deliverToNcmec(decision, referral, state);
                } else {
                    deliverToHotline(decision, referral, state);
                }
            } catch (DeliveryException e) {
                ReferralState failed = next(decision, referral, state, ReferralStatus.FAILED,
                        state == null ? null : state.getExternalReportId(), e.getMessage());
                states.write(failed);
                count(referral, ReferralStatus.FAILED);
                if (e.isTransient()) {
                    // retries exhausted: let the loop retry the record, then dead-letter it; state FAILED carries the report id
                    throw e;
                }
                throw new DeadLetterException(DeadLetterReason.REFERRAL_REFUSED, "referral " + referral.getReferralId() + ": " + e.getMessage(), e);
            }
        }
        if (!decision.getRetractions().isEmpty()) {
            for (Retraction retraction : decision.getRetractions()) {
                retract(decision, retraction.getReferralId(), retraction.getTarget());
            }
        } else {
            // a decision written before retractions carried their targets: the referral's own state says where it went
            for (String referralId : decision.getRetractReferralIds()) {
                retract(decision, referralId, null);
            }
        }
        return List.of();
    }

    /**
     * An overturned decision's referral: a finished NCMEC report is never withdrawn (the law keeps it);
     * an unfinished one is retracted at NCMEC, and a referral not yet sent is marked so it never is.
     */
    private void retract(Decision decision, String referralId, ReferralTarget target) throws Exception {
        ReferralState state = states.get(referralId).orElse(null);
        if (state != null && (state.getStatus() == ReferralStatus.FINISHED || state.getStatus() == ReferralStatus.RETRACTED)) {
            LOG.info("referral {} is {}: not withdrawn", referralId, state.getStatus());
            return;
        }
        if (state == null && target == null) {
            LOG.warn("referral {} of an earlier decision was never sent and decision {} does not say its target: nothing to withdraw",
                    referralId, decision.getDecisionId());
            return;
        }
        if (state != null && state.getTarget() == ReferralTarget.NCMEC && state.getExternalReportId() != null) {
            String reportId = state.getExternalReportId();
            try {
                withRetry(() -> {
                    ncmec.retract(reportId);
                    return null;
                });
            } catch (DeliveryException e) {
                if (e.responseCode() != CyberTiplineClient.ALREADY_FINISHED) {
                    throw e;
                }
                LOG.info("referral {}: NCMEC report {} was already finished; not withdrawn", referralId, reportId);
                return;
            }
        }
        states.write(ReferralState.newBuilder()
                .setReferralId(referralId)
                .setDecisionId(state == null ? decision.getDecisionId() : state.getDecisionId())
                .setIncidentId(decision.getIncidentId())
                .setAccountId(decision.getAccountId())
                .setTarget(state == null ? target : state.getTarget())
                .setStatus(ReferralStatus.RETRACTED)
                .setExternalReportId(state == null ? null : state.getExternalReportId())
                .setHostingCountry(state == null ? null : state.getHostingCountry())
                .setAttempts(state == null ? 0 : state.getAttempts())
                .setKnowledgeAt(state == null ? null : state.getKnowledgeAt())
                .setUpdatedAt(clock.instant())
                .setError("retracted: decision overturned by " + decision.getDecisionId())
                .build());
        LOG.info("referral {} retracted after decision {}", referralId, decision.getDecisionId());
    }

    private void deliverToNcmec(Decision decision, Referral referral, ReferralState state) throws Exception {
        String reportId = state == null ? null : state.getExternalReportId();
        if (reportId == null) {
            CyberTiplineReport.Built built = CyberTiplineReport.build(decision, referral, reporter,
                    states.finishedReportIds(decision.getAccountId(), referral.getReferralId()));
            if (built.charactersReplaced() > 0) {
                xmlReplacements.increment(built.charactersReplaced());
                LOG.warn("referral {}: {} character(s) not allowed in XML replaced in the report", referral.getReferralId(),
                        built.charactersReplaced());
            }
            String xml = built.xml();
            state = next(decision, referral, state, ReferralStatus.BUILT, null, null);
            states.write(state);
            reportId = withRetry(() -> ncmec.submit(xml));
            state = next(decision, referral, state, ReferralStatus.SUBMITTED, reportId, null);
            states.write(state);
            count(referral, ReferralStatus.SUBMITTED);
            LOG.info("referral {} submitted as NCMEC report {}", referral.getReferralId(), reportId);
        }
        String submitted = reportId;
        withRetry(() -> {
            ncmec.finish(submitted);
            return null;
        });
        states.write(next(decision, referral, state, ReferralStatus.FINISHED, reportId, null));
        count(referral, ReferralStatus.FINISHED);
        if (decision.getKnowledgeAt() != null) {
            knowledgeToFinished.record(Duration.between(decision.getKnowledgeAt(), clock.instant()));
        }
        LOG.info("referral {} finished: NCMEC report {} for account {}", referral.getReferralId(), reportId, decision.getAccountId());
    }

    private void deliverToHotline(Decision decision, Referral referral, ReferralState state) throws Exception {
        state = next(decision, referral, state, ReferralStatus.BUILT, null, null);
        states.write(state);
        String reference = withRetry(() -> hotlines.deliver(decision, referral));
        states.write(next(decision, referral, state, ReferralStatus.FINISHED, reference, null));
        count(referral, ReferralStatus.FINISHED);
        LOG.info("referral {} delivered to the {} hotline", referral.getReferralId(), referral.getHostingCountry());
    }

    private <T> T withRetry(CheckedSupplier<T> call) throws DeliveryException, InterruptedException {
        try {
            return Failsafe.with(retry).get(call);
        } catch (FailsafeException e) {
            if (e.getCause() instanceof DeliveryException delivery) {
                throw delivery;
            }
            if (e.getCause() instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw e;
        }
    }

    private ReferralState next(Decision decision, Referral referral, ReferralState previous, ReferralStatus status,
                               String externalId, String error) {
        return ReferralState.newBuilder()
                .setReferralId(referral.getReferralId())
                .setDecisionId(decision.getDecisionId())
                .setIncidentId(decision.getIncidentId())
                .setAccountId(decision.getAccountId())
                .setTarget(referral.getTarget())
                .setStatus(status)
                .setExternalReportId(externalId)
                .setHostingCountry(referral.getHostingCountry())
                .setAttempts(previous == null ? 1 : previous.getAttempts() + (status == ReferralStatus.BUILT ? 1 : 0))
                .setKnowledgeAt(decision.getKnowledgeAt())
                .setUpdatedAt(clock.instant())
                .setError(error)
                .build();
    }

    private void count(Referral referral, ReferralStatus status) {
        Counter.builder("cse_escalation_referrals").tag("target", referral.getTarget().name()).tag("status", status.name())
                .register(metrics).increment();
    }
}
