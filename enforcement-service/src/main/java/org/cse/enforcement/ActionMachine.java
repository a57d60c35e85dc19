package org.cse.enforcement;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cse.enforcement.state.ActionItem;
import org.cse.enforcement.state.ActionStatus;
import org.cse.events.Action;
import org.cse.events.ActionCall;
import org.cse.events.ActionCommand;
import org.cse.events.ActionOutcome;
import org.cse.events.ActionType;
import org.cse.events.BannedIdentifier;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.Identifier;
import org.cse.events.OutcomeStatus;
import org.cse.events.Replay;
import org.cse.runtime.delivery.Backoff;

/**
 * The account-action state machine, a pure function: (an account's actions, an event, the time) →
 * (its actions changed, the commands to send, the outcomes and bans to publish, when to look again).
 * No Kafka, no clock, no randomness: {@link EnforcementProcessor} feeds it and writes what it says.
 *
 * <p>Per account, one command is out at a time, and it carries the account's due actions in the order
 * they were decided (the executor stops at the first that does not succeed): a reinstatement never
 * overtakes the suspension it undoes, and an action waiting for a retry holds back the actions after
 * it. A parked action holds nothing back; an operator's replay of it is refused when a later action of
 * the account undoes it (a suspension after its reinstatement).
 *
 * <pre>
 * PENDING ──command──▶ IN_FLIGHT ──success──▶ APPLIED
 *    ▲                    │  ├──transient──▶ WAITING ──due──▶ (command again)
 *    │ not attempted      │  │                  └──budget spent──▶ PARKED
 *    └────────────────────┘  └──permanent (4xx)────────────────▶ PARKED ──replay──▶ PENDING
 * </pre>
 */
final class ActionMachine {
    /**
     * @param backoff delays between the attempts of a series
     * @param retryBudget how long a series may go on before the action is parked
     * @param commandTimeout a command without a result after this long counts as failed (the executor normally answers every command)
     * @param retention how long an applied action stays in the store (and in the operators' lookup)
     * @param maxCallsPerCommand most actions in one command
     */
    record Settings(Backoff backoff, Duration retryBudget, Duration commandTimeout, Duration retention, int maxCallsPerCommand) {}

    /** Something the machine did, for metrics and logs (ids only). */
    record Note(Kind kind, String itemId, String detail) {
        enum Kind { ADMITTED, SEEDED, DUPLICATE, APPLIED, RETRY, PARKED, STALE_RESULT, TIMED_OUT, REPLAYED, REPLAY_REFUSED, PRUNED }
    }

    /** What an event did. */
    record Result(List<ActionItem> put, List<String> removed, List<ActionCommand> commands, List<ActionOutcome> outcomes,
                  List<BannedIdentifier> bans, Instant wake, List<Note> notes, Map<String, Duration> decisionsSettled) {}

    private static final Set<ActionType> UNDONE_BY_REINSTATE = Set.of(ActionType.SUSPEND_PERMANENTLY, ActionType.TEMPORARY_LOCK);

    private ActionMachine() {
    }

    /** A decision's actions join the account's queue; outcomes an earlier release published are taken as applied. */
    static Result admit(String account, List<ActionItem> items, Decision decision, Map<String, OutcomeStatus> earlier, Instant now,
                        Settings settings) {
        Work work = new Work(account, items, now);
        long seq = items.stream().mapToLong(ActionItem::getSeq).max().orElse(-1) + 1;
        for (Action action : decision.getActions()) {
            if (work.items.containsKey(action.getActionId())) {
                work.note(Note.Kind.DUPLICATE, action.getActionId(), "decision " + decision.getDecisionId() + " seen before");
                continue;
            }
            OutcomeStatus before = earlier.get(action.getActionId());
            boolean seeded = before == OutcomeStatus.APPLIED || before == OutcomeStatus.ALREADY_APPLIED;
            ActionItem item = ActionItem.newBuilder()
                    .setAccountId(account).setSeq(seq++)
                    .setCall(new ActionCall(decision.getDecisionId(), decision.getReason(), decision.getPolicyVersion(), action))
                    .setDecidedAt(decision.getDecidedAt())
                    .setStatus(seeded ? ActionStatus.APPLIED : ActionStatus.PENDING)
                    .setAlreadyApplied(seeded)
                    .setSettledAt(seeded ? now : null)
                    .setUpdatedAt(now).build();
            work.put(item);
            work.note(seeded ? Note.Kind.SEEDED : Note.Kind.ADMITTED, action.getActionId(), decision.getDecisionId());
        }
        return work.schedule(settings);
    }

    /** The executor's answer to a command, or an operator's replay. */
    static Result onResult(String account, List<ActionItem> items, DeliveryResult result, Instant now, Settings settings) {
        Work work = new Work(account, items, now);
        if (result.getReplay() != null) {
            replay(work, result.getReplay());
            return work.schedule(settings);
        }
        List<ActionItem> answered = work.items.values().stream()
                .filter(item -> item.getStatus() == ActionStatus.IN_FLIGHT && result.getCommandId() != null
                        && result.getCommandId().equals(item.getCommandId()))
                .sorted(Comparator.comparingLong(ActionItem::getSeq)).toList();
        if (answered.isEmpty()) {
            // a repeated result, or one for a command given up on after its timeout: it changes nothing
            work.note(Note.Kind.STALE_RESULT, result.getCommandId(), "no action in flight with this command");
            return work.schedule(settings);
        }
        Map<String, CallOutcome> byItem = new HashMap<>();
        result.getOutcomes().forEach(outcome -> byItem.putIfAbsent(outcome.getItemId(), outcome));
        for (ActionItem item : answered) {
            CallOutcome outcome = byItem.get(item.getCall().getAction().getActionId());
            settle(work, item, outcome, settings);
        }
        return work.schedule(settings);
    }

    /** Due retries, commands out too long, applied actions old enough to go. */
    static Result onWake(String account, List<ActionItem> items, Instant now, Settings settings) {
        Work work = new Work(account, items, now);
        for (ActionItem item : List.copyOf(work.items.values())) {
            if (item.getStatus() == ActionStatus.IN_FLIGHT && item.getCommandIssuedAt() != null
                    && !item.getCommandIssuedAt().plus(settings.commandTimeout()).isAfter(now)) {
                work.note(Note.Kind.TIMED_OUT, item.getCall().getAction().getActionId(), item.getCommandId());
                settle(work, item, CallOutcome.newBuilder().setItemId(item.getCall().getAction().getActionId()).setCall("platform-action")
                        .setOutcome(CallOutcomeKind.TRANSIENT).setMayHaveReachedServer(true)
                        .setError("no result within " + settings.commandTimeout()).build(), settings);
            }
        }
        return work.schedule(settings);
    }

    private static void settle(Work work, ActionItem item, CallOutcome outcome, Settings settings) {
        String id = item.getCall().getAction().getActionId();
        ActionItem.Builder next = ActionItem.newBuilder(item).setCommandId(null).setCommandIssuedAt(null).setUpdatedAt(work.now);
        CallOutcomeKind kind = outcome == null ? CallOutcomeKind.NOT_ATTEMPTED : outcome.getOutcome();
        if (outcome != null && outcome.getHttpStatus() != null) {
            next.setLastHttpStatus(outcome.getHttpStatus());
        }
        switch (kind) {
            case SUCCEEDED, ALREADY_DONE -> {
                boolean before = kind == CallOutcomeKind.ALREADY_DONE;
                ActionItem applied = next.setStatus(ActionStatus.APPLIED).setAlreadyApplied(before).setSettledAt(work.now)
                        .setNextAttemptAt(null).build();
                work.put(applied);
                work.outcome(applied, before ? OutcomeStatus.ALREADY_APPLIED : OutcomeStatus.APPLIED, null);
                work.bans(applied);
                work.note(Note.Kind.APPLIED, id, before ? "already applied" : "applied");
            }
            case TRANSIENT -> {
                next.setLastError(outcome.getError());
                Instant started = item.getSeriesStartedAt() == null ? work.now : item.getSeriesStartedAt();
                if (!started.plus(settings.retryBudget()).isAfter(work.now)) {
                    park(work, next, "retries exhausted after " + item.getAttempt() + " attempt(s) over "
                            + Duration.between(started, work.now).toSeconds() + " s; last: " + outcome.getError());
                } else {
                    Duration wait = settings.backoff().after(item.getAttempt(), outcome.getRetryAfterMillis() == null ? null
                            : Duration.ofMillis(outcome.getRetryAfterMillis()), seed(id, item.getSeries(), item.getAttempt()));
                    work.put(next.setStatus(ActionStatus.WAITING).setNextAttemptAt(work.now.plus(wait)).build());
                    work.note(Note.Kind.RETRY, id, "attempt " + item.getAttempt() + " failed (" + outcome.getError() + "), next in "
                            + wait.toMillis() + " ms");
                }
            }
            case PERMANENT -> park(work, next.setLastError(outcome.getError()), "refused by the platform: " + outcome.getError());
            case NOT_ATTEMPTED -> work.put(next.setStatus(ActionStatus.PENDING).setAttempt(Math.max(0, item.getAttempt() - 1))
                    .setTotalAttempts(Math.max(0, item.getTotalAttempts() - 1)).build());
            default -> throw new IllegalStateException("unknown outcome " + kind);
        }
    }

    private static void park(Work work, ActionItem.Builder next, String why) {
        ActionItem parked = next.setStatus(ActionStatus.PARKED).setNextAttemptAt(null).setSettledAt(work.now).setLastError(why).build();
        work.put(parked);
        work.outcome(parked, OutcomeStatus.PARKED, why);
        work.note(Note.Kind.PARKED, parked.getCall().getAction().getActionId(), why);
    }

    private static void replay(Work work, Replay replay) {
        ActionItem item = work.items.get(replay.getItemId());
        if (item == null || item.getStatus() != ActionStatus.PARKED) {
            work.note(Note.Kind.REPLAY_REFUSED, replay.getItemId(), item == null ? "no such action" : "not parked: " + item.getStatus());
            return;
        }
        ActionType type = item.getCall().getAction().getType();
        ActionItem undoing = work.items.values().stream()
                .filter(later -> later.getSeq() > item.getSeq())
                .filter(later -> UNDONE_BY_REINSTATE.contains(type) && later.getCall().getAction().getType() == ActionType.REINSTATE_ACCOUNT
                        || type == ActionType.BAN_IDENTIFIERS && later.getCall().getAction().getType() == ActionType.UNBAN_IDENTIFIERS)
                .findFirst().orElse(null);
        if (undoing != null) {
            String why = "replay refused: undone by the later action " + undoing.getCall().getAction().getActionId();
            work.put(ActionItem.newBuilder(item).setLastError(why).setUpdatedAt(work.now).build());
            work.note(Note.Kind.REPLAY_REFUSED, replay.getItemId(), why);
            return;
        }
        work.put(ActionItem.newBuilder(item).setStatus(ActionStatus.PENDING).setSeries(item.getSeries() + 1).setAttempt(0)
                .setSeriesStartedAt(null).setNextAttemptAt(null).setSettledAt(null).setReplayedBy(replay.getOperator())
                .setUpdatedAt(work.now).build());
        work.note(Note.Kind.REPLAYED, replay.getItemId(), "by " + replay.getOperator());
    }

    static long seed(String id, int series, int attempt) {
        return id.hashCode() * 31L * 31L + series * 31L + attempt;
    }

    /** The account's actions while an event is applied to them, and what the event produced. */
    private static final class Work {
        final String account;
        final Instant now;
        final Map<String, ActionItem> items = new LinkedHashMap<>();
        final Map<String, ActionItem> changed = new LinkedHashMap<>();
        final List<String> removed = new ArrayList<>();
        final List<ActionCommand> commands = new ArrayList<>();
        final List<ActionOutcome> outcomes = new ArrayList<>();
        final List<BannedIdentifier> bans = new ArrayList<>();
        final List<Note> notes = new ArrayList<>();
        final Map<String, Duration> settled = new LinkedHashMap<>();

        Work(String account, List<ActionItem> current, Instant now) {
            this.account = account;
            this.now = now;
            current.stream().sorted(Comparator.comparingLong(ActionItem::getSeq))
                    .forEach(item -> items.put(item.getCall().getAction().getActionId(), item));
        }

        void put(ActionItem item) {
            items.put(item.getCall().getAction().getActionId(), item);
            changed.put(item.getCall().getAction().getActionId(), item);
        }

        void note(Note.Kind kind, String itemId, String detail) {
            notes.add(new Note(kind, itemId, detail));
        }

        void outcome(ActionItem item, OutcomeStatus status, String detail) {
            Action action = item.getCall().getAction();
            outcomes.add(ActionOutcome.newBuilder().setActionId(action.getActionId()).setDecisionId(item.getCall().getDecisionId())
                    .setAccountId(account).setType(action.getType()).setStatus(status).setHttpStatus(item.getLastHttpStatus())
                    .setAttempts(item.getTotalAttempts()).setDetail(detail).setAt(now).build());
            String decision = item.getCall().getDecisionId();
            boolean all = items.values().stream().filter(other -> other.getCall().getDecisionId().equals(decision))
                    .allMatch(other -> other.getStatus() == ActionStatus.APPLIED || other.getStatus() == ActionStatus.PARKED);
            if (all) {
                settled.put(decision, Duration.between(item.getDecidedAt(), now));
            }
        }

        void bans(ActionItem item) {
            Action action = item.getCall().getAction();
            if (action.getType() != ActionType.BAN_IDENTIFIERS && action.getType() != ActionType.UNBAN_IDENTIFIERS) {
                return;
            }
            for (Identifier identifier : action.getIdentifierHashes()) {
                bans.add(BannedIdentifier.newBuilder().setIdentifierHash(identifier.getHash()).setType(identifier.getType())
                        .setAccountId(account).setDecisionId(item.getCall().getDecisionId())
                        .setBanned(action.getType() == ActionType.BAN_IDENTIFIERS).setAt(now).build());
            }
        }

        /** Sends the account's next command if none is out, prunes old applied actions, and says when to look again. */
        Result schedule(Settings settings) {
            List<Instant> wakes = new ArrayList<>();
            List<ActionItem> ordered = items.values().stream().sorted(Comparator.comparingLong(ActionItem::getSeq)).toList();
            ActionItem out = ordered.stream().filter(item -> item.getStatus() == ActionStatus.IN_FLIGHT).findFirst().orElse(null);
            if (out != null) {
                wakes.add(out.getCommandIssuedAt().plus(settings.commandTimeout()));
            } else {
                List<ActionItem> open = ordered.stream()
                        .filter(item -> item.getStatus() == ActionStatus.PENDING || item.getStatus() == ActionStatus.WAITING).toList();
                if (!open.isEmpty()) {
                    ActionItem head = open.get(0);
                    if (head.getStatus() == ActionStatus.WAITING && head.getNextAttemptAt().isAfter(now)) {
                        wakes.add(head.getNextAttemptAt());
                    } else {
                        wakes.add(send(open, settings));
                    }
                }
            }
            for (ActionItem item : ordered) {
                if (item.getStatus() == ActionStatus.APPLIED && item.getSettledAt() != null) {
                    Instant expiry = item.getSettledAt().plus(settings.retention());
                    if (!expiry.isAfter(now)) {
                        String id = item.getCall().getAction().getActionId();
                        items.remove(id);
                        changed.remove(id);
                        removed.add(id);
                        notes.add(new Note(Note.Kind.PRUNED, id, null));
                    } else {
                        wakes.add(expiry);
                    }
                }
            }
            Instant wake = wakes.stream().min(Comparator.naturalOrder()).orElse(null);
            return new Result(List.copyOf(changed.values()), removed, commands, outcomes, bans, wake, notes, settled);
        }

        /** One command with the head of the queue and the due actions right behind it. */
        private Instant send(List<ActionItem> open, Settings settings) {
            List<ActionItem> batch = new ArrayList<>();
            for (ActionItem item : open) {
                boolean due = item.getStatus() == ActionStatus.PENDING || !item.getNextAttemptAt().isAfter(now);
                if (!due || batch.size() >= settings.maxCallsPerCommand()) {
                    break;
                }
                batch.add(item);
            }
            ActionItem head = batch.get(0);
            String commandId = head.getCall().getAction().getActionId() + "#" + head.getSeries() + "." + (head.getAttempt() + 1);
            List<ActionCall> calls = new ArrayList<>();
            for (ActionItem item : batch) {
                put(ActionItem.newBuilder(item).setStatus(ActionStatus.IN_FLIGHT).setCommandId(commandId).setCommandIssuedAt(now)
                        .setAttempt(item.getAttempt() + 1).setTotalAttempts(item.getTotalAttempts() + 1).setNextAttemptAt(null)
                        .setSeriesStartedAt(item.getSeriesStartedAt() == null ? now : item.getSeriesStartedAt())
                        .setUpdatedAt(now).build());
                calls.add(item.getCall());
            }
            commands.add(new ActionCommand(commandId, account, calls, now));
            return now.plus(settings.commandTimeout());
        }
    }
}
