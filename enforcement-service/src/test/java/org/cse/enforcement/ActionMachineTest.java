package org.cse.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.cse.enforcement.state.ActionItem;
import org.cse.enforcement.state.ActionStatus;
import org.cse.events.Action;
import org.cse.events.ActionCall;
import org.cse.events.ActionCommand;
import org.cse.events.ActionType;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.OutcomeStatus;
import org.cse.events.Replay;
import org.cse.runtime.delivery.Backoff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The account-action state machine on its own: no Kafka, no clock, every state against every event. */
class ActionMachineTest {
    private static final String ACCOUNT = "acct-1";
    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    private static final ActionMachine.Settings SETTINGS = new ActionMachine.Settings(
            new Backoff(Duration.ofMillis(200), Duration.ofSeconds(60), 0.2), Duration.ofHours(1), Duration.ofMinutes(10),
            Duration.ofDays(30), 16);

    @Test
    void aDecisionsActionsGoOutInOneCommandInTheirOrder() {
        ActionMachine.Result result = ActionMachine.admit(ACCOUNT, List.of(), suspension("dec-1"), Map.of(), T0, SETTINGS);

        assertThat(result.commands()).singleElement().satisfies(command -> {
            assertThat(command.getCommandId()).isEqualTo("dec-1/SUSPEND_PERMANENTLY#0.1");
            assertThat(command.getCalls()).extracting(call -> call.getAction().getType())
                    .containsExactly(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        });
        assertThat(result.put()).allSatisfy(item -> {
            assertThat(item.getStatus()).isEqualTo(ActionStatus.IN_FLIGHT);
            assertThat(item.getAttempt()).isEqualTo(1);
        });
        assertThat(result.wake()).isEqualTo(T0.plus(SETTINGS.commandTimeout()));
        assertThat(result.outcomes()).isEmpty();
    }

    @Test
    void successAppliesEachActionPublishesItsOutcomeAndTheBans() {
        List<ActionItem> items = admitted("dec-1");

        ActionMachine.Result result = answer(items, "dec-1/SUSPEND_PERMANENTLY#0.1", T0.plusSeconds(1),
                CallOutcomeKind.SUCCEEDED, CallOutcomeKind.ALREADY_DONE, CallOutcomeKind.SUCCEEDED);

        assertThat(result.put()).extracting(ActionItem::getStatus).containsOnly(ActionStatus.APPLIED);
        assertThat(result.outcomes()).extracting(o -> o.getStatus())
                .containsExactly(OutcomeStatus.APPLIED, OutcomeStatus.ALREADY_APPLIED, OutcomeStatus.APPLIED);
        assertThat(result.bans()).singleElement().satisfies(ban -> {
            assertThat(ban.getIdentifierHash()).isEqualTo("h-email");
            assertThat(ban.getBanned()).isTrue();
        });
        assertThat(result.decisionsSettled()).containsOnlyKeys("dec-1");
        assertThat(result.commands()).isEmpty();
        assertThat(result.wake()).isEqualTo(T0.plusSeconds(1).plus(SETTINGS.retention()));
    }

    @Test
    void aTransientFailureWaitsWithBackoffAndHoldsBackTheActionsBehindIt() {
        List<ActionItem> items = admitted("dec-1");
        Instant now = T0.plusSeconds(1);

        ActionMachine.Result result = answer(items, "dec-1/SUSPEND_PERMANENTLY#0.1", now,
                CallOutcomeKind.TRANSIENT, CallOutcomeKind.NOT_ATTEMPTED, CallOutcomeKind.NOT_ATTEMPTED);

        Map<ActionType, ActionItem> byType = byType(result.put());
        assertThat(byType.get(ActionType.SUSPEND_PERMANENTLY).getStatus()).isEqualTo(ActionStatus.WAITING);
        Instant due = byType.get(ActionType.SUSPEND_PERMANENTLY).getNextAttemptAt();
        assertThat(Duration.between(now, due)).isBetween(Duration.ofMillis(160), Duration.ofMillis(240));
        assertThat(byType.get(ActionType.REMOVE_CONTENT).getStatus()).isEqualTo(ActionStatus.PENDING);
        assertThat(byType.get(ActionType.REMOVE_CONTENT).getAttempt()).isZero();
        assertThat(result.commands()).isEmpty();
        assertThat(result.wake()).isEqualTo(due);

        // When the retry is due, the head goes again with the actions behind it
        ActionMachine.Result retry = ActionMachine.onWake(ACCOUNT, merge(items, result.put()), due, SETTINGS);
        assertThat(retry.commands()).singleElement().satisfies(command -> {
            assertThat(command.getCommandId()).isEqualTo("dec-1/SUSPEND_PERMANENTLY#0.2");
            assertThat(command.getCalls()).hasSize(3);
        });
    }

    @Test
    void retryAfterIsHonouredAndTheBudgetParksTheAction() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result slow = ActionMachine.onResult(ACCOUNT, items, result("dec-1/SUSPEND_PERMANENTLY#0.1",
                CallOutcome.newBuilder().setItemId("dec-1/SUSPEND_PERMANENTLY").setCall("platform-action")
                        .setOutcome(CallOutcomeKind.TRANSIENT).setHttpStatus(429).setRetryAfterMillis(30_000L).build()), T0, SETTINGS);
        assertThat(byType(slow.put()).get(ActionType.SUSPEND_PERMANENTLY).getNextAttemptAt()).isEqualTo(T0.plusSeconds(30));

        Instant late = T0.plus(SETTINGS.retryBudget()).plusSeconds(1);
        List<ActionItem> waiting = merge(items, slow.put());
        ActionMachine.Result again = ActionMachine.onWake(ACCOUNT, waiting, late, SETTINGS);
        String command = again.commands().get(0).getCommandId();
        ActionMachine.Result parked = answer(merge(waiting, again.put()), command, late.plusSeconds(1),
                CallOutcomeKind.TRANSIENT, CallOutcomeKind.NOT_ATTEMPTED, CallOutcomeKind.NOT_ATTEMPTED);

        ActionItem suspension = byType(parked.put()).get(ActionType.SUSPEND_PERMANENTLY);
        assertThat(suspension.getStatus()).isEqualTo(ActionStatus.PARKED);
        assertThat(suspension.getLastError()).startsWith("retries exhausted after 2 attempt(s)");
        assertThat(parked.outcomes()).singleElement().extracting(o -> o.getStatus()).isEqualTo(OutcomeStatus.PARKED);
        // a parked action holds nothing back: the next actions go out at once
        assertThat(parked.commands()).singleElement().satisfies(c -> assertThat(c.getCalls())
                .extracting(call -> call.getAction().getType()).containsExactly(ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS));
    }

    @Test
    void aRefusalIsParkedWithThePlatformsCodeAndAReplayAppliesItWithTheSameKey() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result refused = ActionMachine.onResult(ACCOUNT, items, result("dec-1/SUSPEND_PERMANENTLY#0.1",
                CallOutcome.newBuilder().setItemId("dec-1/SUSPEND_PERMANENTLY").setCall("platform-action")
                        .setOutcome(CallOutcomeKind.PERMANENT).setHttpStatus(422).setError("HTTP 422: unknown account").build(),
                notAttempted("dec-1/REMOVE_CONTENT"), notAttempted("dec-1/BAN_IDENTIFIERS")), T0, SETTINGS);
        ActionItem parked = byType(refused.put()).get(ActionType.SUSPEND_PERMANENTLY);
        assertThat(parked.getStatus()).isEqualTo(ActionStatus.PARKED);
        assertThat(parked.getLastHttpStatus()).isEqualTo(422);
        assertThat(parked.getLastError()).contains("HTTP 422: unknown account");

        List<ActionItem> state = merge(items, refused.put());
        ActionMachine.Result replayed = ActionMachine.onResult(ACCOUNT, state, replay("dec-1/SUSPEND_PERMANENTLY"), T0.plusSeconds(60),
                SETTINGS);
        ActionItem again = byType(replayed.put()).get(ActionType.SUSPEND_PERMANENTLY);
        assertThat(again.getSeries()).isEqualTo(1);
        assertThat(again.getReplayedBy()).isEqualTo("oncall");
        // the other actions were sent meanwhile; the replayed one goes out when none is in flight
        assertThat(replayed.notes()).extracting(ActionMachine.Note::kind).contains(ActionMachine.Note.Kind.REPLAYED);
    }

    @Test
    void aReplayIsRefusedForAnActionThatIsNotParkedOrThatALaterActionUndid() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result notParked = ActionMachine.onResult(ACCOUNT, items, replay("dec-1/SUSPEND_PERMANENTLY"), T0, SETTINGS);
        assertThat(notParked.notes()).extracting(ActionMachine.Note::kind).containsExactly(ActionMachine.Note.Kind.REPLAY_REFUSED);
        assertThat(notParked.put()).isEmpty();

        ActionMachine.Result refused = answer(items, "dec-1/SUSPEND_PERMANENTLY#0.1", T0, CallOutcomeKind.PERMANENT,
                CallOutcomeKind.NOT_ATTEMPTED, CallOutcomeKind.NOT_ATTEMPTED);
        List<ActionItem> state = merge(items, refused.put());
        String next = refused.commands().get(0).getCommandId();
        state = merge(state, answer(state, next, T0, CallOutcomeKind.SUCCEEDED, CallOutcomeKind.SUCCEEDED).put());
        state = merge(state, ActionMachine.admit(ACCOUNT, state, reinstatement("dec-2"), Map.of(), T0.plusSeconds(5), SETTINGS).put());

        ActionMachine.Result undone = ActionMachine.onResult(ACCOUNT, state, replay("dec-1/SUSPEND_PERMANENTLY"), T0.plusSeconds(6),
                SETTINGS);
        assertThat(undone.notes()).extracting(ActionMachine.Note::kind).containsExactly(ActionMachine.Note.Kind.REPLAY_REFUSED);
        assertThat(byType(undone.put()).get(ActionType.SUSPEND_PERMANENTLY).getStatus()).isEqualTo(ActionStatus.PARKED);
        assertThat(byType(undone.put()).get(ActionType.SUSPEND_PERMANENTLY).getLastError()).contains("dec-2/REINSTATE_ACCOUNT");
    }

    @Test
    void oneCommandPerAccountAtATimeSoAReinstatementNeverOvertakesTheSuspension() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result second = ActionMachine.admit(ACCOUNT, items, reinstatement("dec-2"), Map.of(), T0.plusSeconds(1), SETTINGS);
        assertThat(second.commands()).isEmpty();
        List<ActionItem> state = merge(items, second.put());

        // the suspension fails and waits: the reinstatement still waits behind it
        ActionMachine.Result failed = answer(state, "dec-1/SUSPEND_PERMANENTLY#0.1", T0.plusSeconds(2), CallOutcomeKind.TRANSIENT,
                CallOutcomeKind.NOT_ATTEMPTED, CallOutcomeKind.NOT_ATTEMPTED);
        assertThat(failed.commands()).isEmpty();
        state = merge(state, failed.put());
        ActionMachine.Result retried = ActionMachine.onWake(ACCOUNT, state, failed.wake(), SETTINGS);
        assertThat(retried.commands().get(0).getCalls()).extracting(call -> call.getAction().getType())
                .containsExactly(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS,
                        ActionType.REINSTATE_ACCOUNT, ActionType.UNBAN_IDENTIFIERS);
    }

    @Test
    void aDecisionSeenBeforeAndActionsAnEarlierReleaseAppliedAreNotCalledAgain() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result again = ActionMachine.admit(ACCOUNT, items, suspension("dec-1"), Map.of(), T0.plusSeconds(1), SETTINGS);
        assertThat(again.put()).isEmpty();
        assertThat(again.commands()).isEmpty();
        assertThat(again.notes()).extracting(ActionMachine.Note::kind).containsOnly(ActionMachine.Note.Kind.DUPLICATE);

        ActionMachine.Result seeded = ActionMachine.admit(ACCOUNT, List.of(), suspension("dec-9"),
                Map.of("dec-9/SUSPEND_PERMANENTLY", OutcomeStatus.APPLIED, "dec-9/REMOVE_CONTENT", OutcomeStatus.ALREADY_APPLIED), T0,
                SETTINGS);
        assertThat(byType(seeded.put()).get(ActionType.SUSPEND_PERMANENTLY).getStatus()).isEqualTo(ActionStatus.APPLIED);
        assertThat(seeded.commands()).singleElement().satisfies(c -> assertThat(c.getCalls())
                .extracting(call -> call.getAction().getType()).containsExactly(ActionType.BAN_IDENTIFIERS));
        assertThat(seeded.outcomes()).isEmpty();
    }

    @Test
    void aStaleResultChangesNothingAndACommandWithoutAResultTimesOutIntoARetry() {
        List<ActionItem> items = admitted("dec-1");
        ActionMachine.Result stale = answer(items, "dec-1/SUSPEND_PERMANENTLY#0.7", T0, CallOutcomeKind.SUCCEEDED,
                CallOutcomeKind.SUCCEEDED, CallOutcomeKind.SUCCEEDED);
        assertThat(stale.put()).isEmpty();
        assertThat(stale.notes()).extracting(ActionMachine.Note::kind).containsExactly(ActionMachine.Note.Kind.STALE_RESULT);

        ActionMachine.Result timedOut = ActionMachine.onWake(ACCOUNT, items, T0.plus(SETTINGS.commandTimeout()), SETTINGS);
        assertThat(timedOut.put()).extracting(ActionItem::getStatus).containsOnly(ActionStatus.WAITING);
        assertThat(timedOut.put()).extracting(ActionItem::getCommandId).containsOnlyNulls();
    }

    @Test
    void appliedActionsArePrunedAfterTheRetentionParkedOnesNever() {
        List<ActionItem> items = admitted("dec-1");
        List<ActionItem> settled = merge(items, answer(items, "dec-1/SUSPEND_PERMANENTLY#0.1", T0, CallOutcomeKind.SUCCEEDED,
                CallOutcomeKind.PERMANENT, CallOutcomeKind.SUCCEEDED).put());

        ActionMachine.Result pruned = ActionMachine.onWake(ACCOUNT, settled, T0.plus(SETTINGS.retention()), SETTINGS);

        assertThat(pruned.removed()).containsExactlyInAnyOrder("dec-1/SUSPEND_PERMANENTLY", "dec-1/BAN_IDENTIFIERS");
        assertThat(pruned.wake()).isNull();
    }

    // ---- every state against every event ----

    enum Event { DECISION, SUCCEEDED, ALREADY_DONE, TRANSIENT, PERMANENT, NOT_ATTEMPTED, STALE, WAKE_EARLY, WAKE_DUE, REPLAY }

    static Stream<Arguments> everyStateAndEvent() {
        List<Arguments> cases = new ArrayList<>();
        for (ActionStatus status : ActionStatus.values()) {
            for (Event event : Event.values()) {
                cases.add(Arguments.of(status, event));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("everyStateAndEvent")
    void everyEventInEveryStateKeepsTheInvariants(ActionStatus status, Event event) {
        ActionItem item = inState(status);
        List<ActionItem> before = List.of(item);
        Instant now = T0.plusSeconds(10);
        ActionMachine.Result result = switch (event) {
            case DECISION -> ActionMachine.admit(ACCOUNT, before, reinstatement("dec-2"), Map.of(), now, SETTINGS);
            case SUCCEEDED, ALREADY_DONE, TRANSIENT, PERMANENT, NOT_ATTEMPTED -> ActionMachine.onResult(ACCOUNT, before,
                    result("cmd-1", CallOutcome.newBuilder().setItemId("dec-1/SUSPEND_PERMANENTLY").setCall("platform-action")
                            .setOutcome(CallOutcomeKind.valueOf(event.name())).build()), now, SETTINGS);
            case STALE -> ActionMachine.onResult(ACCOUNT, before, result("cmd-0", CallOutcome.newBuilder()
                    .setItemId("dec-1/SUSPEND_PERMANENTLY").setCall("platform-action").setOutcome(CallOutcomeKind.SUCCEEDED).build()), now,
                    SETTINGS);
            case WAKE_EARLY -> ActionMachine.onWake(ACCOUNT, before, T0.plusSeconds(1), SETTINGS);
            case WAKE_DUE -> ActionMachine.onWake(ACCOUNT, before, T0.plus(SETTINGS.commandTimeout()).plusSeconds(1), SETTINGS);
            case REPLAY -> ActionMachine.onResult(ACCOUNT, before, replay("dec-1/SUSPEND_PERMANENTLY"), now, SETTINGS);
        };
        List<ActionItem> after = merge(before, result.put());
        after.removeIf(i -> result.removed().contains(i.getCall().getAction().getActionId()));
        assertInvariants(before, after, result);

        ActionItem next = after.stream().filter(i -> i.getCall().getAction().getActionId().equals("dec-1/SUSPEND_PERMANENTLY"))
                .findFirst().orElse(null);
        boolean answered = status == ActionStatus.IN_FLIGHT && Set.of(Event.SUCCEEDED, Event.ALREADY_DONE, Event.TRANSIENT,
                Event.PERMANENT, Event.NOT_ATTEMPTED).contains(event);
        if (status == ActionStatus.APPLIED) {
            assertThat(next == null || next.getStatus() == ActionStatus.APPLIED).as("applied is final").isTrue();
        } else if (status == ActionStatus.PARKED && event != Event.REPLAY) {
            assertThat(next.getStatus()).as("parked until replayed").isEqualTo(ActionStatus.PARKED);
        } else if (answered && (event == Event.SUCCEEDED || event == Event.ALREADY_DONE)) {
            assertThat(next.getStatus()).isEqualTo(ActionStatus.APPLIED);
        } else if (answered && event == Event.PERMANENT) {
            assertThat(next.getStatus()).isEqualTo(ActionStatus.PARKED);
        } else if (!answered && Set.of(Event.SUCCEEDED, Event.ALREADY_DONE, Event.TRANSIENT, Event.PERMANENT, Event.NOT_ATTEMPTED,
                Event.STALE).contains(event)) {
            // a result for no command in flight settles nothing (an action that was due may go out, as after any event)
            assertThat(result.notes()).extracting(ActionMachine.Note::kind).contains(ActionMachine.Note.Kind.STALE_RESULT);
            assertThat(next.getStatus()).isIn(status, ActionStatus.IN_FLIGHT);
            assertThat(result.outcomes()).isEmpty();
        }
    }

    @Test
    void randomWalksNeverLoseAnActionNeverApplyOneTwiceAndKeepOneCommandOut() {
        for (long seed = 1; seed <= 300; seed++) {
            Random random = new Random(seed);
            List<ActionItem> state = new ArrayList<>();
            Instant now = T0;
            Map<String, Integer> appliedOutcomes = new HashMap<>();
            Set<String> commandIds = new HashSet<>();
            int decisions = 0;
            for (int step = 0; step < 60; step++) {
                now = now.plusMillis(random.nextInt(5_000));
                ActionMachine.Result result;
                ActionItem out = state.stream().filter(i -> i.getStatus() == ActionStatus.IN_FLIGHT).findFirst().orElse(null);
                int choice = random.nextInt(10);
                if (choice < 2 && decisions < 4) {
                    decisions++;
                    result = ActionMachine.admit(ACCOUNT, state, decisions % 2 == 1 ? suspension("dec-" + decisions)
                            : reinstatement("dec-" + decisions), Map.of(), now, SETTINGS);
                } else if (choice < 7 && out != null) {
                    List<CallOutcome> outcomes = new ArrayList<>();
                    boolean stopped = false;
                    for (ActionItem item : state.stream().filter(i -> out.getCommandId().equals(i.getCommandId()))
                            .sorted((a, b) -> Long.compare(a.getSeq(), b.getSeq())).toList()) {
                        CallOutcomeKind kind = stopped ? CallOutcomeKind.NOT_ATTEMPTED
                                : List.of(CallOutcomeKind.SUCCEEDED, CallOutcomeKind.ALREADY_DONE, CallOutcomeKind.TRANSIENT,
                                CallOutcomeKind.PERMANENT).get(random.nextInt(4));
                        stopped |= kind == CallOutcomeKind.TRANSIENT || kind == CallOutcomeKind.PERMANENT;
                        outcomes.add(CallOutcome.newBuilder().setItemId(item.getCall().getAction().getActionId()).setCall("platform-action")
                                .setOutcome(kind).build());
                    }
                    result = ActionMachine.onResult(ACCOUNT, state, result(out.getCommandId(), outcomes.toArray(CallOutcome[]::new)), now,
                            SETTINGS);
                } else if (choice == 7) {
                    ActionItem parked = state.stream().filter(i -> i.getStatus() == ActionStatus.PARKED).findFirst().orElse(null);
                    result = ActionMachine.onResult(ACCOUNT, state, replay(parked == null ? "none" : parked.getCall().getAction()
                            .getActionId()), now, SETTINGS);
                } else {
                    now = now.plusSeconds(random.nextInt(3) == 0 ? 700 : 30);
                    result = ActionMachine.onWake(ACCOUNT, state, now, SETTINGS);
                }
                List<ActionItem> next = merge(state, result.put());
                next.removeIf(i -> result.removed().contains(i.getCall().getAction().getActionId()));
                assertInvariants(state, next, result);
                result.commands().forEach(c -> assertThat(commandIds.add(c.getCommandId())).as("command ids are unique").isTrue());
                result.outcomes().stream().filter(o -> o.getStatus() == OutcomeStatus.APPLIED || o.getStatus() == OutcomeStatus.ALREADY_APPLIED)
                        .forEach(o -> appliedOutcomes.merge(o.getActionId(), 1, Integer::sum));
                state = next;
            }
            assertThat(appliedOutcomes.values()).as("seed " + seed + ": one applied outcome per action").allMatch(n -> n == 1);
        }
    }

    private static void assertInvariants(List<ActionItem> before, List<ActionItem> after, ActionMachine.Result result) {
        assertThat(after.stream().filter(i -> i.getStatus() == ActionStatus.IN_FLIGHT).map(ActionItem::getCommandId).distinct().count())
                .as("at most one command out per account").isLessThanOrEqualTo(1);
        assertThat(result.commands()).as("a new command only when none was out").hasSizeLessThanOrEqualTo(1);
        if (!result.commands().isEmpty()) {
            assertThat(before.stream().filter(i -> i.getStatus() == ActionStatus.IN_FLIGHT)
                    .allMatch(i -> after.stream().noneMatch(a -> a.getCommandId() != null && a.getCommandId().equals(i.getCommandId()))))
                    .isTrue();
        }
        for (ActionItem item : before) {
            String id = item.getCall().getAction().getActionId();
            boolean kept = after.stream().anyMatch(i -> i.getCall().getAction().getActionId().equals(id));
            assertThat(kept || item.getStatus() == ActionStatus.APPLIED && result.removed().contains(id))
                    .as(id + ": only an applied action leaves the store").isTrue();
        }
        for (ActionCommand command : result.commands()) {
            List<Long> seqs = command.getCalls().stream().map(call -> after.stream()
                    .filter(i -> i.getCall().getAction().getActionId().equals(call.getAction().getActionId())).findFirst().orElseThrow()
                    .getSeq()).toList();
            assertThat(seqs).as("a command's actions in their order").isSorted();
            long firstOpen = after.stream().filter(i -> i.getStatus() == ActionStatus.IN_FLIGHT || i.getStatus() == ActionStatus.PENDING
                    || i.getStatus() == ActionStatus.WAITING).mapToLong(ActionItem::getSeq).min().orElseThrow();
            assertThat(seqs.get(0)).as("the command starts at the head of the queue").isEqualTo(firstOpen);
        }
    }

    // ---- fixtures ----

    private static ActionItem inState(ActionStatus status) {
        Action action = Action.newBuilder().setActionId("dec-1/SUSPEND_PERMANENTLY").setType(ActionType.SUSPEND_PERMANENTLY).build();
        ActionItem.Builder item = ActionItem.newBuilder().setAccountId(ACCOUNT).setSeq(0)
                .setCall(new ActionCall("dec-1", "test", "policy", action)).setDecidedAt(T0).setStatus(status).setUpdatedAt(T0);
        switch (status) {
            case IN_FLIGHT -> item.setCommandId("cmd-1").setCommandIssuedAt(T0).setAttempt(1).setTotalAttempts(1).setSeriesStartedAt(T0);
            case WAITING -> item.setAttempt(1).setTotalAttempts(1).setSeriesStartedAt(T0).setNextAttemptAt(T0.plusSeconds(5));
            case APPLIED -> item.setSettledAt(T0).setAttempt(1).setTotalAttempts(1);
            case PARKED -> item.setSettledAt(T0).setAttempt(3).setTotalAttempts(3).setLastError("HTTP 422");
            default -> {
            }
        }
        return item.build();
    }

    private static List<ActionItem> admitted(String decisionId) {
        return ActionMachine.admit(ACCOUNT, List.of(), suspension(decisionId), Map.of(), T0, SETTINGS).put();
    }

    private static ActionMachine.Result answer(List<ActionItem> items, String commandId, Instant now, CallOutcomeKind... kinds) {
        List<ActionItem> inCommand = items.stream().filter(i -> commandId.equals(i.getCommandId()))
                .sorted((a, b) -> Long.compare(a.getSeq(), b.getSeq())).toList();
        List<CallOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < kinds.length && i < inCommand.size(); i++) {
            outcomes.add(CallOutcome.newBuilder().setItemId(inCommand.get(i).getCall().getAction().getActionId()).setCall("platform-action")
                    .setOutcome(kinds[i]).setHttpStatus(kinds[i] == CallOutcomeKind.PERMANENT ? 422 : 201).build());
        }
        if (inCommand.isEmpty()) {
            outcomes.add(CallOutcome.newBuilder().setItemId("dec-1/SUSPEND_PERMANENTLY").setCall("platform-action").setOutcome(kinds[0])
                    .build());
        }
        return ActionMachine.onResult(ACCOUNT, items, result(commandId, outcomes.toArray(CallOutcome[]::new)), now, SETTINGS);
    }

    private static CallOutcome notAttempted(String id) {
        return CallOutcome.newBuilder().setItemId(id).setCall("platform-action").setOutcome(CallOutcomeKind.NOT_ATTEMPTED).build();
    }

    private static DeliveryResult result(String commandId, CallOutcome... outcomes) {
        return DeliveryResult.newBuilder().setCommandId(commandId).setAccountId(ACCOUNT).setOutcomes(List.of(outcomes)).setAt(T0).build();
    }

    private static DeliveryResult replay(String itemId) {
        return DeliveryResult.newBuilder().setAccountId(ACCOUNT).setReplay(new Replay(itemId, "oncall", T0)).setAt(T0).build();
    }

    private static List<ActionItem> merge(List<ActionItem> items, List<ActionItem> changed) {
        Map<String, ActionItem> byId = new LinkedHashMap<>();
        items.forEach(i -> byId.put(i.getCall().getAction().getActionId(), i));
        changed.forEach(i -> byId.put(i.getCall().getAction().getActionId(), i));
        return new ArrayList<>(byId.values());
    }

    private static Map<ActionType, ActionItem> byType(List<ActionItem> items) {
        Map<ActionType, ActionItem> byType = new HashMap<>();
        items.forEach(i -> byType.put(i.getCall().getAction().getType(), i));
        return byType;
    }

    static Decision suspension(String decisionId) {
        return decision(decisionId, List.of(
                action(decisionId, ActionType.SUSPEND_PERMANENTLY),
                Action.newBuilder(action(decisionId, ActionType.REMOVE_CONTENT)).setContentIds(List.of("post-1")).build(),
                Action.newBuilder(action(decisionId, ActionType.BAN_IDENTIFIERS))
                        .setIdentifierHashes(List.of(new Identifier(IdentifierType.EMAIL, "h-email"))).build()));
    }

    static Decision reinstatement(String decisionId) {
        return decision(decisionId, List.of(action(decisionId, ActionType.REINSTATE_ACCOUNT), Action.newBuilder(
                action(decisionId, ActionType.UNBAN_IDENTIFIERS)).setIdentifierHashes(List.of(new Identifier(IdentifierType.EMAIL, "h-email")))
                .build()));
    }

    private static Action action(String decisionId, ActionType type) {
        return Action.newBuilder().setActionId(decisionId + "/" + type).setType(type).build();
    }

    private static Decision decision(String decisionId, List<Action> actions) {
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId("inc-" + decisionId).setAccountId(ACCOUNT)
                .setPolicyVersion("test").setRuleId("confirmed-malicious").setReason("test").setReportedAt(T0).setDecidedAt(T0)
                .setActions(actions).build();
    }
}
