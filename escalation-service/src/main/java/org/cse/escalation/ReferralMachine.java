package org.cse.escalation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cse.escalation.state.FileProgress;
import org.cse.escalation.state.ReferralItem;
import org.cse.escalation.state.ReferralPhase;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.NcmecFile;
import org.cse.events.PreservationHold;
import org.cse.events.PreservationRecord;
import org.cse.events.Referral;
import org.cse.events.ReferralCommand;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralStep;
import org.cse.events.ReferralTarget;
import org.cse.events.Replay;
import org.cse.events.Retraction;
import org.cse.runtime.delivery.Backoff;

/**
 * The referral state machine, a pure function: (an account's referrals, an event, what the account's
 * finished reports are, the time) → (its referrals changed, the command to send, the referral states
 * and preservation records to publish, when to look again). No Kafka, no clock.
 *
 * <p>An NCMEC referral goes SUBMIT (NCMEC's report id) → FILE for each file (fetched from the evidence
 * store, uploaded, its details sent) → FINISH → HOLD (the preservation hold at the evidence store);
 * an INHOPE referral is one HOTLINE step. One command is out per account at a time, for the first
 * referral in admission order that is not done or parked, so an account's reports reach NCMEC in
 * order and a later report can name the earlier ones ({@code priorCTReports}). A finished report is
 * never finished twice: FINISH runs only with the report id the store holds, and a repeated finish of
 * a finished report is success (5102).
 *
 * <p>An overturned decision retracts its referrals: one not yet sent is simply never sent, an
 * unfinished NCMEC report is retracted, a finished one is never withdrawn (the law keeps it).
 */
final class ReferralMachine {
    /**
     * @param preservation how long a finished report's content is held (one year by 18 U.S.C. 2258A(h))
     */
    record Settings(Backoff backoff, Duration retryBudget, Duration commandTimeout, Duration retention, Duration preservation,
                    CyberTiplineReport.Reporter reporter) {}

    /**
     * What the machine needs to know beyond the account's referrals.
     *
     * @param finished the account's finished NCMEC reports, referral id → report id (also those pruned from the
     *        items, and those the previous release finished): for priorCTReports, and so that none is sent twice
     * @param earlier what the previous release recorded for referrals of the event's decision (admit only)
     */
    record Context(Map<String, String> finished, Map<String, Earlier> earlier) {
        static Context of(Map<String, String> finished) {
            return new Context(finished, Map.of());
        }

        List<String> priorReportIds() {
            return finished.values().stream().distinct().toList();
        }
    }

    /** A referral state the previous release left in {@code cse.referrals.v1}. */
    record Earlier(ReferralStatus status, String reportId) {}

    /** Something the machine did, for metrics and logs (ids only). */
    record Note(Kind kind, String itemId, String detail) {
        enum Kind { ADMITTED, SEEDED, DUPLICATE, SUBMITTED, FILE_SENT, FINISHED, HELD, DELIVERED, RETRACTED, NOT_WITHDRAWN,
            NOTHING_TO_WITHDRAW, RETRY, PARKED, STALE_RESULT, TIMED_OUT, REPLAYED, REPLAY_REFUSED, REOPENED, DUPLICATE_UPLOADS,
            XML_REPLACED, PRUNED }
    }

    /** What an event did. */
    record Result(List<ReferralItem> put, List<String> removed, List<ReferralCommand> commands, List<ReferralState> states,
                  List<PreservationRecord> preservations, Map<String, String> finishedReports, Instant wake, List<Note> notes,
                  List<Duration> knowledgeToFinished) {}

    /** NCMEC responseCodes with a meaning for the machine. */
    static final int NO_SUCH_REPORT = 5001;
    static final int ALREADY_RETRACTED = 5101;
    static final int ALREADY_FINISHED = 5102;

    private ReferralMachine() {
    }

    static Result admit(String account, List<ReferralItem> items, Decision decision, Context context, Instant now, Settings settings) {
        Work work = new Work(account, items, context, now);
        long seq = items.stream().mapToLong(ReferralItem::getSeq).max().orElse(-1) + 1;
        for (Referral referral : decision.getReferrals()) {
            String id = referral.getReferralId();
            if (work.items.containsKey(id) || context.finished().containsKey(id)) {
                work.note(Note.Kind.DUPLICATE, id, "decision " + decision.getDecisionId() + " seen before");
                continue;
            }
            ReferralItem.Builder item = ReferralItem.newBuilder().setAccountId(account).setReferralId(id).setSeq(seq++)
                    .setReferral(referral).setDecision(decision).setPhase(ReferralPhase.PENDING)
                    .setFiles(referral.getTarget() == ReferralTarget.NCMEC ? files(decision) : List.of()).setUpdatedAt(now);
            Earlier earlier = context.earlier().get(id);
            if (earlier != null && seed(item, earlier, now)) {
                work.note(Note.Kind.SEEDED, id, "the previous release left it " + earlier.status());
                if (earlier.status() == ReferralStatus.FINISHED && referral.getTarget() == ReferralTarget.NCMEC) {
                    work.finishedReports.put(id, earlier.reportId());
                }
            } else {
                work.note(Note.Kind.ADMITTED, id, decision.getDecisionId());
            }
            work.put(item.build());
        }
        List<Retraction> retractions = new ArrayList<>(decision.getRetractions());
        if (retractions.isEmpty()) {
            // a decision written before retractions named their targets: the referral's own record says where it went
            for (String id : decision.getRetractReferralIds()) {
                ReferralItem known = work.items.get(id);
                Earlier earlier = context.earlier().get(id);
                ReferralTarget target = known != null ? known.getReferral().getTarget() : earlier != null ? ReferralTarget.NCMEC : null;
                if (target == null) {
                    work.note(Note.Kind.NOTHING_TO_WITHDRAW, id, "never sent, and decision " + decision.getDecisionId()
                            + " does not say its target");
                } else {
                    retractions.add(new Retraction(id, target, null));
                }
            }
        }
        for (Retraction retraction : retractions) {
            retract(work, retraction, decision, seq++);
        }
        return work.schedule(settings);
    }

    static Result onResult(String account, List<ReferralItem> items, DeliveryResult result, Context context, Instant now,
                           Settings settings) {
        Work work = new Work(account, items, context, now);
        if (result.getReplay() != null) {
            replay(work, result.getReplay());
            return work.schedule(settings);
        }
        ReferralItem item = work.items.values().stream()
                .filter(i -> i.getPhase() == ReferralPhase.IN_FLIGHT && result.getCommandId() != null
                        && result.getCommandId().equals(i.getCommandId()))
                .findFirst().orElse(null);
        if (item == null || result.getOutcomes().isEmpty()) {
            work.note(Note.Kind.STALE_RESULT, result.getCommandId(), "no referral in flight with this command");
            return work.schedule(settings);
        }
        apply(work, item, result.getOutcomes().get(result.getOutcomes().size() - 1), settings);
        return work.schedule(settings);
    }

    static Result onWake(String account, List<ReferralItem> items, Context context, Instant now, Settings settings) {
        Work work = new Work(account, items, context, now);
        for (ReferralItem item : List.copyOf(work.items.values())) {
            if (item.getPhase() == ReferralPhase.IN_FLIGHT && item.getCommandIssuedAt() != null
                    && !item.getCommandIssuedAt().plus(settings.commandTimeout()).isAfter(now)) {
                work.note(Note.Kind.TIMED_OUT, item.getReferralId(), item.getCommandId());
                apply(work, item, CallOutcome.newBuilder().setItemId(item.getReferralId()).setCall(String.valueOf(item.getCommandStep()))
                        .setOutcome(CallOutcomeKind.TRANSIENT).setMayHaveReachedServer(true)
                        .setError("no result within " + settings.commandTimeout()).build(), settings);
            }
        }
        return work.schedule(settings);
    }

    /** The files of an NCMEC report: every content item that is a file (media, or anything with file hashes). */
    static List<FileProgress> files(Decision decision) {
        List<FileProgress> files = new ArrayList<>();
        for (ContentRef content : decision.getContent()) {
            if (isFile(content)) {
                files.add(new FileProgress(content.getContentId(), null, false));
            }
        }
        return files;
    }

    static boolean isFile(ContentRef content) {
        return content.getKind() == ContentKind.MEDIA || !content.getHashes().isEmpty();
    }

    /** The file's details as NCMEC asks for them: from the decision, never from the file. */
    static NcmecFile file(ReferralItem item, FileProgress progress) {
        Decision decision = item.getDecision();
        ContentRef content = decision.getContent().stream().filter(c -> c.getContentId().equals(progress.getContentId())).findFirst()
                .orElseThrow(() -> new IllegalStateException("file " + progress.getContentId() + " is not content of the decision"));
        Boolean publiclyAvailable = switch (content.getKind()) {
            case POST, PROFILE, LIVE_STREAM -> true;
            case MESSAGE -> false;
            default -> null;
        };
        return NcmecFile.newBuilder().setContentId(content.getContentId()).setFileName(content.getFileName())
                .setFileId(progress.getFileId())
                .setViewedByEsp(decision.getConfirmation() == ConfirmationSource.REVIEWER_VERDICT)
                .setPubliclyAvailable(publiclyAvailable)
                .setPotentialMeme(item.getReferral().getPotentialMeme())
                .setAnnotations(item.getReferral().getFileAnnotations())
                .setHashes(content.getHashes())
                .setUploadedAt(content.getUploadedAt()).build();
    }

    private static boolean seed(ReferralItem.Builder item, Earlier earlier, Instant now) {
        switch (earlier.status()) {
            case FINISHED -> {
                // finished by the previous release, which placed no preservation hold: place it now
                item.setReportId(earlier.reportId()).setFinishedAt(now)
                        .setFiles(item.getFiles().stream().map(f -> new FileProgress(f.getContentId(), null, true)).toList());
                if (item.getReferral().getTarget() == ReferralTarget.INHOPE) {
                    item.setPhase(ReferralPhase.DONE).setHoldPlaced(true).setSettledAt(now);
                }
                return true;
            }
            case RETRACTED -> {
                item.setRetracted(true).setPhase(ReferralPhase.DONE).setSettledAt(now).setReportId(earlier.reportId());
                return true;
            }
            case SUBMITTED, FILES_UPLOADED -> {
                if (earlier.reportId() == null) {
                    return false;
                }
                item.setReportId(earlier.reportId());
                if (earlier.status() == ReferralStatus.FILES_UPLOADED) {
                    item.setFiles(item.getFiles().stream().map(f -> new FileProgress(f.getContentId(), null, true)).toList());
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static void retract(Work work, Retraction retraction, Decision overturn, long seq) {
        String id = retraction.getReferralId();
        ReferralItem item = work.items.get(id);
        if (item == null) {
            Earlier earlier = work.context.earlier().get(id);
            if (work.context.finished().containsKey(id) || earlier != null && earlier.status() == ReferralStatus.FINISHED) {
                work.note(Note.Kind.NOT_WITHDRAWN, id, "finished: a finished report is never withdrawn");
            } else if (earlier != null && earlier.reportId() != null && earlier.status() != ReferralStatus.RETRACTED) {
                // sent by the previous release and not finished: retract it
                Referral referral = Referral.newBuilder().setReferralId(id).setTarget(retraction.getTarget())
                        .setHostingCountry(retraction.getHostingCountry()).build();
                work.put(ReferralItem.newBuilder().setAccountId(work.account).setReferralId(id).setSeq(seq).setReferral(referral)
                        .setDecision(overturn).setPhase(ReferralPhase.PENDING).setReportId(earlier.reportId())
                        .setRetractRequestedBy(overturn.getDecisionId()).setUpdatedAt(work.now).build());
            } else {
                work.note(Note.Kind.NOTHING_TO_WITHDRAW, id, "never sent");
            }
            return;
        }
        if (item.getFinishedAt() != null || item.getRetracted()) {
            work.note(Note.Kind.NOT_WITHDRAWN, id, item.getRetracted() ? "already retracted" : "finished: never withdrawn");
            return;
        }
        ReferralItem.Builder next = ReferralItem.newBuilder(item).setRetractRequestedBy(overturn.getDecisionId()).setUpdatedAt(work.now);
        if (item.getPhase() == ReferralPhase.PARKED) {
            next.setPhase(ReferralPhase.PENDING).setSettledAt(null);
        }
        work.put(next.build());
    }

    private static void apply(Work work, ReferralItem item, CallOutcome outcome, Settings settings) {
        String id = item.getReferralId();
        ReferralStep step = item.getCommandStep();
        ReferralItem.Builder next = ReferralItem.newBuilder(item).setCommandId(null).setCommandStep(null).setCommandIssuedAt(null)
                .setUpdatedAt(work.now).setLastHttpStatus(outcome.getHttpStatus()).setLastCode(outcome.getResponseCode());
        CallOutcomeKind kind = outcome.getOutcome();
        boolean success = kind == CallOutcomeKind.SUCCEEDED || kind == CallOutcomeKind.ALREADY_DONE;
        if (step == ReferralStep.FILE && outcome.getFileId() != null) {
            // the upload went through even if its details did not: never upload that file again
            next.setFiles(withFile(item.getFiles(), fileOf(item), outcome.getFileId(), success));
        }
        Integer code = outcome.getResponseCode();
        if (!success && code != null && code == NO_SUCH_REPORT && item.getReportId() != null && item.getFinishedAt() == null
                && (step == ReferralStep.FILE || step == ReferralStep.FINISH)) {
            // NCMEC deletes unfinished reports after a while: open it again, files and all
            work.put(next.setReportId(null).setFiles(files(item.getDecision())).setResubmissions(item.getResubmissions() + 1)
                    .setPhase(ReferralPhase.PENDING).setAttempt(0).setStepStartedAt(null).setLastError(outcome.getError()).build());
            work.note(Note.Kind.REOPENED, id, "NCMEC no longer has report " + item.getReportId());
            return;
        }
        if (!success && step == ReferralStep.RETRACT && code != null && code == ALREADY_FINISHED) {
            success = true; // finished after all (a finish whose answer was lost): never withdrawn, held like any other
            step = ReferralStep.FINISH;
            outcome = CallOutcome.newBuilder(outcome).setReportFileIds(List.of()).build();
        }
        if (!success && step == ReferralStep.FINISH && code != null && code == ALREADY_RETRACTED) {
            success = true;
            step = ReferralStep.RETRACT;
        }
        if (success) {
            next.setAttempt(0).setStepStartedAt(null).setNextAttemptAt(null).setLastError(null).setPhase(ReferralPhase.PENDING);
            switch (step) {
                case SUBMIT -> {
                    next.setReportId(outcome.getExternalId());
                    work.note(Note.Kind.SUBMITTED, id, "NCMEC report " + outcome.getExternalId());
                }
                case FILE -> work.note(Note.Kind.FILE_SENT, id, outcome.getFileId());
                case FINISH -> {
                    next.setFinishedAt(work.now);
                    long recorded = next.getFiles().stream().filter(f -> f.getFileId() != null || f.getInfoSent()).count();
                    int duplicates = (int) Math.max(0, outcome.getReportFileIds().size() - recorded);
                    next.setDuplicateUploads(duplicates);
                    work.finishedReports.put(id, item.getReportId());
                    if (item.getDecision().getKnowledgeAt() != null) {
                        work.knowledgeToFinished.add(Duration.between(item.getDecision().getKnowledgeAt(), work.now));
                    }
                    work.note(Note.Kind.FINISHED, id, "NCMEC report " + item.getReportId());
                    if (duplicates > 0) {
                        work.note(Note.Kind.DUPLICATE_UPLOADS, id, duplicates + " file(s) uploaded twice after lost answers");
                    }
                }
                case HOLD -> {
                    next.setHoldPlaced(true).setPhase(ReferralPhase.DONE).setSettledAt(work.now);
                    Instant finished = item.getFinishedAt() == null ? work.now : item.getFinishedAt();
                    work.preservations.add(new PreservationRecord(id, work.account, item.getDecision().getDecisionId(), item.getReportId(),
                            item.getDecision().getContent().stream().map(ContentRef::getContentId).toList(), id, finished,
                            finished.plus(settings.preservation())));
                    work.note(Note.Kind.HELD, id, "until " + finished.plus(settings.preservation()));
                }
                case RETRACT -> {
                    next.setRetracted(true).setRetractRequestedBy(null).setPhase(ReferralPhase.DONE).setSettledAt(work.now);
                    work.note(Note.Kind.RETRACTED, id, "NCMEC report " + item.getReportId() + " retracted");
                }
                case HOTLINE -> {
                    next.setReportId(outcome.getExternalId()).setFinishedAt(work.now).setHoldPlaced(true).setPhase(ReferralPhase.DONE)
                            .setSettledAt(work.now);
                    work.note(Note.Kind.DELIVERED, id, "hotline " + item.getReferral().getHostingCountry());
                }
                default -> throw new IllegalStateException("unknown step " + step);
            }
            work.put(next.build());
            return;
        }
        next.setLastError(outcome.getError());
        if (kind == CallOutcomeKind.PERMANENT) {
            park(work, next, "refused: " + outcome.getError());
            return;
        }
        Instant started = item.getStepStartedAt() == null ? work.now : item.getStepStartedAt();
        if (!started.plus(settings.retryBudget()).isAfter(work.now)) {
            park(work, next, "retries exhausted after " + item.getAttempt() + " attempt(s) over "
                    + Duration.between(started, work.now).toSeconds() + " s; last: " + outcome.getError());
            return;
        }
        Duration wait = settings.backoff().after(Math.max(1, item.getAttempt()), outcome.getRetryAfterMillis() == null ? null
                : Duration.ofMillis(outcome.getRetryAfterMillis()), (long) id.hashCode() * 31 + item.getTotalAttempts());
        work.put(next.setPhase(ReferralPhase.WAITING).setNextAttemptAt(work.now.plus(wait)).build());
        work.note(Note.Kind.RETRY, id, step + " attempt " + item.getAttempt() + " failed (" + outcome.getError() + "), next in "
                + wait.toMillis() + " ms");
    }

    private static void park(Work work, ReferralItem.Builder next, String why) {
        work.put(next.setPhase(ReferralPhase.PARKED).setNextAttemptAt(null).setSettledAt(work.now).setLastError(why).build());
        work.note(Note.Kind.PARKED, next.getReferralId(), why);
    }

    private static void replay(Work work, Replay replay) {
        ReferralItem item = work.items.get(replay.getItemId());
        if (item == null || item.getPhase() != ReferralPhase.PARKED) {
            work.note(Note.Kind.REPLAY_REFUSED, replay.getItemId(), item == null ? "no such referral" : "not parked: " + item.getPhase());
            return;
        }
        work.put(ReferralItem.newBuilder(item).setPhase(ReferralPhase.PENDING).setSeries(item.getSeries() + 1).setAttempt(0)
                .setStepStartedAt(null).setNextAttemptAt(null).setSettledAt(null).setReplayedBy(replay.getOperator())
                .setUpdatedAt(work.now).build());
        work.note(Note.Kind.REPLAYED, replay.getItemId(), "by " + replay.getOperator());
    }

    private static String fileOf(ReferralItem item) {
        return item.getFiles().stream().filter(f -> !f.getInfoSent()).map(FileProgress::getContentId).findFirst().orElse(null);
    }

    private static List<FileProgress> withFile(List<FileProgress> files, String contentId, String fileId, boolean infoSent) {
        return files.stream().map(f -> f.getContentId().equals(contentId)
                ? new FileProgress(f.getContentId(), fileId, infoSent) : f).toList();
    }

    /** The status operators and {@code cse.referrals.v1} see. */
    static ReferralStatus status(ReferralItem item) {
        if (item.getPhase() == ReferralPhase.PARKED) {
            return ReferralStatus.PARKED;
        }
        if (item.getRetracted()) {
            return ReferralStatus.RETRACTED;
        }
        if (item.getFinishedAt() != null) {
            return ReferralStatus.FINISHED;
        }
        if (item.getReportId() == null) {
            return ReferralStatus.BUILT;
        }
        return item.getFiles().stream().allMatch(FileProgress::getInfoSent) ? ReferralStatus.FILES_UPLOADED : ReferralStatus.SUBMITTED;
    }

    /** The account's referrals while an event is applied to them, and what the event produced. */
    private static final class Work {
        final String account;
        final Context context;
        final Instant now;
        final Map<String, ReferralItem> items = new LinkedHashMap<>();
        final Map<String, ReferralItem> before = new LinkedHashMap<>();
        final Map<String, ReferralItem> changed = new LinkedHashMap<>();
        final List<String> removed = new ArrayList<>();
        final List<ReferralCommand> commands = new ArrayList<>();
        final List<PreservationRecord> preservations = new ArrayList<>();
        final Map<String, String> finishedReports = new LinkedHashMap<>();
        final List<Note> notes = new ArrayList<>();
        final List<Duration> knowledgeToFinished = new ArrayList<>();

        Work(String account, List<ReferralItem> current, Context context, Instant now) {
            this.account = account;
            this.context = context;
            this.now = now;
            current.stream().sorted(Comparator.comparingLong(ReferralItem::getSeq)).forEach(item -> {
                items.put(item.getReferralId(), item);
                before.put(item.getReferralId(), item);
            });
        }

        void put(ReferralItem item) {
            items.put(item.getReferralId(), item);
            changed.put(item.getReferralId(), item);
        }

        void note(Note.Kind kind, String itemId, String detail) {
            notes.add(new Note(kind, itemId, detail));
        }

        Result schedule(Settings settings) {
            List<Instant> wakes = new ArrayList<>();
            // retractions that need no call (never sent, or finished meanwhile) settle at once, wherever they are in the queue
            for (ReferralItem item : List.copyOf(items.values())) {
                if (item.getPhase() != ReferralPhase.DONE) {
                    settleWithoutCall(item);
                }
            }
            ReferralItem out = items.values().stream().filter(i -> i.getPhase() == ReferralPhase.IN_FLIGHT).findFirst().orElse(null);
            if (out != null) {
                wakes.add(out.getCommandIssuedAt().plus(settings.commandTimeout()));
            } else {
                ReferralItem head = head();
                if (head != null) {
                    if (head.getPhase() == ReferralPhase.WAITING && head.getNextAttemptAt().isAfter(now)) {
                        wakes.add(head.getNextAttemptAt());
                    } else {
                        send(head, settings);
                        wakes.add(now.plus(settings.commandTimeout()));
                    }
                }
            }
            for (ReferralItem item : List.copyOf(items.values())) {
                if (item.getPhase() == ReferralPhase.DONE && item.getSettledAt() != null) {
                    Instant expiry = item.getSettledAt().plus(settings.retention());
                    if (!expiry.isAfter(now)) {
                        items.remove(item.getReferralId());
                        changed.remove(item.getReferralId());
                        removed.add(item.getReferralId());
                        note(Note.Kind.PRUNED, item.getReferralId(), null);
                    } else {
                        wakes.add(expiry);
                    }
                }
            }
            List<ReferralState> states = new ArrayList<>();
            for (ReferralItem item : changed.values()) {
                ReferralItem was = before.get(item.getReferralId());
                if (was == null || status(was) != status(item) || item.getPhase() == ReferralPhase.PARKED
                        && was.getPhase() != ReferralPhase.PARKED || !java.util.Objects.equals(was.getReportId(), item.getReportId())) {
                    states.add(state(item));
                }
            }
            Instant wake = wakes.stream().min(Comparator.naturalOrder()).orElse(null);
            return new Result(List.copyOf(changed.values()), removed, commands, states, preservations, finishedReports, wake, notes,
                    knowledgeToFinished);
        }

        /** The account's first referral, in admission order, that is neither done nor parked. */
        private ReferralItem head() {
            return items.values().stream().filter(i -> i.getPhase() != ReferralPhase.DONE && i.getPhase() != ReferralPhase.PARKED)
                    .min(Comparator.comparingLong(ReferralItem::getSeq)).orElse(null);
        }

        /** Settles a retraction that needs no call: of a referral never sent, or of one finished meanwhile (never withdrawn). */
        private void settleWithoutCall(ReferralItem item) {
            if (item.getPhase() == ReferralPhase.IN_FLIGHT || item.getRetractRequestedBy() == null) {
                return;
            }
            if (item.getFinishedAt() != null) {
                note(Note.Kind.NOT_WITHDRAWN, item.getReferralId(), "finished before the retraction: never withdrawn");
                put(ReferralItem.newBuilder(item).setRetractRequestedBy(null).setUpdatedAt(now).build());
            } else if (item.getReportId() == null) {
                put(ReferralItem.newBuilder(item).setRetracted(true).setRetractRequestedBy(null).setPhase(ReferralPhase.DONE)
                        .setNextAttemptAt(null).setSettledAt(now).setUpdatedAt(now).build());
                note(Note.Kind.RETRACTED, item.getReferralId(), "never sent");
            }
        }

        private void send(ReferralItem item, Settings settings) {
            ReferralCommand.Builder command = ReferralCommand.newBuilder().setAccountId(account).setReferralId(item.getReferralId())
                    .setReportId(item.getReportId()).setIssuedAt(now)
                    .setCommandId(item.getReferralId() + "#" + item.getSeries() + "." + (item.getTotalAttempts() + 1));
            ReferralStep step;
            if (item.getRetractRequestedBy() != null) {
                step = ReferralStep.RETRACT;
            } else if (item.getReferral().getTarget() == ReferralTarget.INHOPE) {
                step = ReferralStep.HOTLINE;
                command.setHostingCountry(item.getReferral().getHostingCountry()).setHotlineBody(HotlineReferral.body(item.getDecision(),
                        item.getReferral()));
            } else if (item.getReportId() == null) {
                step = ReferralStep.SUBMIT;
                CyberTiplineReport.Built built = CyberTiplineReport.build(item.getDecision(), item.getReferral(), settings.reporter(),
                        context.priorReportIds());
                if (built.charactersReplaced() > 0) {
                    note(Note.Kind.XML_REPLACED, item.getReferralId(), Integer.toString(built.charactersReplaced()));
                }
                command.setReportXml(built.xml());
            } else if (item.getFiles().stream().anyMatch(f -> !f.getInfoSent())) {
                step = ReferralStep.FILE;
                FileProgress next = item.getFiles().stream().filter(f -> !f.getInfoSent()).findFirst().orElseThrow();
                command.setFile(file(item, next));
            } else if (item.getFinishedAt() == null) {
                step = ReferralStep.FINISH;
            } else {
                step = ReferralStep.HOLD;
                Instant finished = item.getFinishedAt();
                command.setHold(new PreservationHold(item.getReferralId(), item.getReportId(),
                        item.getDecision().getContent().stream().map(ContentRef::getContentId).toList(),
                        finished.plus(settings.preservation())));
            }
            ReferralCommand built = command.setStep(step).build();
            commands.add(built);
            put(ReferralItem.newBuilder(item).setPhase(ReferralPhase.IN_FLIGHT).setCommandId(built.getCommandId()).setCommandStep(step)
                    .setCommandIssuedAt(now).setAttempt(item.getAttempt() + 1).setTotalAttempts(item.getTotalAttempts() + 1)
                    .setNextAttemptAt(null).setStepStartedAt(item.getStepStartedAt() == null ? now : item.getStepStartedAt())
                    .setUpdatedAt(now).build());
        }

        private ReferralState state(ReferralItem item) {
            return ReferralState.newBuilder().setReferralId(item.getReferralId()).setDecisionId(item.getDecision().getDecisionId())
                    .setIncidentId(item.getDecision().getIncidentId()).setAccountId(account).setTarget(item.getReferral().getTarget())
                    .setStatus(status(item)).setExternalReportId(item.getReportId())
                    .setFileIds(item.getFiles().stream().map(FileProgress::getFileId).filter(java.util.Objects::nonNull).toList())
                    .setHostingCountry(item.getReferral().getHostingCountry()).setAttempts(item.getTotalAttempts())
                    .setKnowledgeAt(item.getDecision().getKnowledgeAt()).setUpdatedAt(now)
                    .setError(item.getPhase() == ReferralPhase.PARKED || item.getPhase() == ReferralPhase.WAITING ? item.getLastError() : null)
                    .build();
        }
    }
}
