package org.cse.schemas;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.cse.events.AccountEvent;
import org.cse.events.ActionCommand;
import org.cse.events.ActionOutcome;
import org.cse.events.Appeal;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.DlqReplay;
import org.cse.events.DeliveryResult;
import org.cse.events.PreservationRecord;
import org.cse.events.ReferralCommand;
import org.cse.events.ReferralState;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.events.Verdict;

/**
 * The topic catalogue: every topic of the pipeline, typed. Account-keyed topics share one partition
 * count so that Kafka Streams can join them without a repartition (co-partitioning).
 */
public final class Topics {
    /** Partitions of every account-keyed topic; they must stay equal for co-partitioning. */
    public static final int ACCOUNT_PARTITIONS = 6;
    /**
     * {@code max.message.bytes} of every topic, set explicitly (the broker's default) so that a changed
     * broker default never makes a dead-letter topic accept less than the topics it takes records from.
     */
    public static final int MAX_MESSAGE_BYTES = 1_048_588;

    private static final Duration DAYS_30 = Duration.ofDays(30);
    /** Decisions and referral records are audit evidence: kept past the 1-year preservation period. */
    private static final Duration DAYS_400 = Duration.ofDays(400);

    /**
     * Prefix of the raw submission topics, one per registered publisher: {@code cse.reports.raw.v1.from.<publisher>}.
     * Kafka does not stamp a record with its producer's principal, and headers can be forged; a topic
     * only its publisher may write (an ACL) is what says who sent a raw report.
     */
    public static final String RAW_REPORTS_PREFIX = "cse.reports.raw.v1.from.";
    /** Every publisher's raw topic, for intake's subscription. */
    public static final Pattern RAW_REPORTS_PATTERN = Pattern.compile(
            Pattern.quote(RAW_REPORTS_PREFIX) + "[a-z0-9][a-z0-9-]{0,63}");
    public static final Topic<byte[], byte[]> REPORTS_RAW_DLQ = Topic.bytes("cse.reports.raw.v1.dlq", Serdes.ByteArray(),
            1, DAYS_30, "Raw submissions intake could not accept, byte for byte, with the reason in headers.");
    public static final Topic<String, Report> REPORTS = Topic.avro("cse.reports.v1", Report.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30, "Validated reports; key: reported account id.");
    public static final Topic<String, ReviewRequest> REVIEW_REQUESTS = Topic.avro("cse.reviews.requested.v1",
            ReviewRequest.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "Review requests with priority, one per unconfirmed incident or appeal.");
    public static final Topic<String, Verdict> VERDICTS = Topic.avro("cse.reviews.verdicts.v1", Verdict.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30, "Reviewer verdicts.");
    public static final Topic<String, Appeal> APPEALS = Topic.avro("cse.appeals.v1", Appeal.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30, "Appeals filed and resolved.");
    public static final Topic<String, AccountEvent> ACCOUNT_EVENTS = Topic.avro("cse.accounts.events.v1",
            AccountEvent.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "Account created (identifier hashes) and prior strikes, from the platform.");
    public static final Topic<String, Decision> DECISIONS = Topic.avro("cse.decisions.v1", Decision.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_400, "Enforcement decisions with actions, referrals and audit fields.");
    public static final Topic<String, Decision> SHADOW_DECISIONS = Topic.avro("cse.decisions.shadow.v1", Decision.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "Decisions of a candidate policy running beside the live one; never enforced.");
    public static final Topic<String, ActionOutcome> ENFORCEMENT_OUTCOMES = Topic.avro("cse.enforcement.outcomes.v1",
            ActionOutcome.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_400, "Outcome of each account action.");
    public static final Topic<String, BannedIdentifier> BANNED_IDENTIFIERS = Topic.avro("cse.bans.identifiers.v1",
            BannedIdentifier.class, ACCOUNT_PARTITIONS, Topic.Cleanup.COMPACT, DAYS_400,
            "Banned identifier hashes; compacted, key: identifier hash.");
    public static final Topic<String, ReferralState> REFERRALS = Topic.avro("cse.referrals.v1", ReferralState.class,
            ACCOUNT_PARTITIONS, Topic.Cleanup.COMPACT, DAYS_400,
            "Referral delivery state; compacted, key: referral id.");
    public static final Topic<String, ActionCommand> ENFORCEMENT_COMMANDS = Topic.avro("cse.enforcement.commands.v1",
            ActionCommand.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "Calls the enforcement state machine asks its executor to make, one command per account at a time.");
    public static final Topic<String, DeliveryResult> ENFORCEMENT_RESULTS = Topic.avro("cse.enforcement.results.v1",
            DeliveryResult.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "What the enforcement executor's calls returned, and operators' replays: events of the state machine.");
    public static final Topic<String, ReferralCommand> ESCALATION_COMMANDS = Topic.avro("cse.escalation.commands.v1",
            ReferralCommand.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "Referral steps the escalation state machine asks its executor to take, one command per account at a time.");
    public static final Topic<String, DeliveryResult> ESCALATION_RESULTS = Topic.avro("cse.escalation.results.v1",
            DeliveryResult.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_30,
            "What the escalation executor's calls returned, and operators' replays: events of the state machine.");
    public static final Topic<String, PreservationRecord> PRESERVATION = Topic.avro("cse.preservation.v1",
            PreservationRecord.class, ACCOUNT_PARTITIONS, Topic.Cleanup.DELETE, DAYS_400,
            "Preservation duties of finished NCMEC reports (one year), kept past their end.");
    public static final Topic<byte[], byte[]> CLASSIFIER_DLQ = Topic.bytes("cse.classifier.dlq.v1", Serdes.ByteArray(),
            1, DAYS_30, "Records the classifier could not read or must refuse, with the reason in headers.");
    public static final Topic<byte[], byte[]> ENFORCEMENT_DLQ = Topic.bytes("cse.enforcement.dlq.v1", Serdes.ByteArray(),
            1, DAYS_30, "Decisions the enforcement service could not read, with the reason in headers.");
    public static final Topic<byte[], byte[]> ESCALATION_DLQ = Topic.bytes("cse.escalation.dlq.v1", Serdes.ByteArray(),
            1, DAYS_30, "Decisions the escalation service could not read, with the reason in headers.");
    /** Replays of dead letters by cse-ops: the coordinates of each replayed record, so none is replayed twice. */
    public static final Topic<String, DlqReplay> DLQ_REPLAYS = Topic.avro("cse.ops.replays.v1", DlqReplay.class, 1,
            Topic.Cleanup.COMPACT, DAYS_400, "Dead letters replayed by an operator; compacted, key: <dead-letter topic>/<partition>/<offset>.");
    /** Every dead-letter topic, each holding records of the pipeline's one format ({@link DeadLetters}). */
    public static final List<Topic<byte[], byte[]>> DEAD_LETTERS = List.of(REPORTS_RAW_DLQ, CLASSIFIER_DLQ, ENFORCEMENT_DLQ, ESCALATION_DLQ);

    /** The raw submission topic of one publisher (created with the publisher, not with the catalogue). */
    public static Topic<String, byte[]> rawReports(String publisher) {
        String name = RAW_REPORTS_PREFIX + publisher;
        if (!RAW_REPORTS_PATTERN.matcher(name).matches()) {
            throw new IllegalArgumentException("not a publisher id: " + publisher);
        }
        return Topic.bytes(name, Serdes.String(), ACCOUNT_PARTITIONS, DAYS_30,
                "Raw JSON submissions of one Kafka-native publisher (only it may write here); key: reported account id.");
    }

    /** The publisher whose raw topic this is, or null if it is not one. */
    public static String publisherOf(String rawTopic) {
        return rawTopic != null && RAW_REPORTS_PATTERN.matcher(rawTopic).matches() ? rawTopic.substring(RAW_REPORTS_PREFIX.length()) : null;
    }

    /** Every topic of the catalogue, in the order of the flow (the publishers' raw topics are made per publisher). */
    public static final List<Topic<?, ?>> ALL = List.of(REPORTS_RAW_DLQ, REPORTS, REVIEW_REQUESTS, VERDICTS,
            APPEALS, ACCOUNT_EVENTS, DECISIONS, SHADOW_DECISIONS, ENFORCEMENT_COMMANDS, ENFORCEMENT_RESULTS, ENFORCEMENT_OUTCOMES,
            BANNED_IDENTIFIERS, ESCALATION_COMMANDS, ESCALATION_RESULTS, REFERRALS, PRESERVATION, CLASSIFIER_DLQ, ENFORCEMENT_DLQ,
            ESCALATION_DLQ, DLQ_REPLAYS);

    private Topics() {
    }
}
