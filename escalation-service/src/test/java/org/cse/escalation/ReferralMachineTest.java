package org.cse.escalation;

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
import org.cse.escalation.state.FileProgress;
import org.cse.escalation.state.ReferralItem;
import org.cse.escalation.state.ReferralPhase;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.events.Referral;
import org.cse.events.ReferralCommand;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralStep;
import org.cse.events.ReferralTarget;
import org.cse.events.Replay;
import org.cse.events.Retraction;
import org.cse.events.ThirdPartyUrl;
import org.cse.runtime.delivery.Backoff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The referral state machine on its own: no Kafka, no clock, every phase against every event. */
class ReferralMachineTest {
    private static final String ACCOUNT = "acct-1";
    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    private static final ReferralMachine.Settings SETTINGS = new ReferralMachine.Settings(
            new Backoff(Duration.ofMillis(500), Duration.ofMinutes(5), 0.2), Duration.ofHours(24), Duration.ofMinutes(10),
            Duration.ofDays(30), Duration.ofDays(365), CyberTiplineReportTest.REPORTER);
    private static final ReferralMachine.Context NONE = ReferralMachine.Context.of(Map.of());

    @Test
    void anNcmecReferralIsSubmittedUploadsEachFileFinishesAndPlacesItsHold() {
        Flow flow = new Flow(decision("dec-1", true));
        ReferralCommand submit = flow.expect(ReferralStep.SUBMIT);
        assertThat(submit.getReportXml()).contains("<incidentType>Child Pornography");
        flow.answer(ok().setExternalId("100001"));

        ReferralCommand first = flow.expect(ReferralStep.FILE);
        assertThat(first.getReportId()).isEqualTo("100001");
        assertThat(first.getFile().getContentId()).isEqualTo("media-1");
        assertThat(first.getFile().getViewedByEsp()).isFalse();
        assertThat(first.getFile().getAnnotations()).containsExactly("generativeAi");
        flow.answer(ok().setFileId("7"));
        assertThat(flow.expect(ReferralStep.FILE).getFile().getContentId()).isEqualTo("media-2");
        flow.answer(ok().setFileId("8"));

        flow.expect(ReferralStep.FINISH);
        ReferralMachine.Result finished = flow.answer(ok().setReportFileIds(List.of("7", "8", "9")));
        assertThat(finished.finishedReports()).containsEntry("dec-1/NCMEC", "100001");
        assertThat(finished.knowledgeToFinished()).hasSize(1);
        assertThat(finished.states()).extracting(ReferralStateView::of).contains(new ReferralStateView(ReferralStatus.FINISHED, "100001"));
        assertThat(flow.item().getDuplicateUploads()).as("NCMEC lists a file we never recorded: a lost answer's upload").isEqualTo(1);

        ReferralCommand hold = flow.expect(ReferralStep.HOLD);
        assertThat(hold.getHold().getUntil()).isEqualTo(flow.now.plus(Duration.ofDays(365)));
        ReferralMachine.Result held = flow.answer(ok());
        assertThat(held.preservations()).singleElement().satisfies(p -> {
            assertThat(p.getReportId()).isEqualTo("100001");
            assertThat(p.getContentIds()).containsExactly("media-1", "media-2", "post-1");
        });
        assertThat(flow.item().getPhase()).isEqualTo(ReferralPhase.DONE);
        assertThat(held.commands()).isEmpty();
    }

    @Test
    void aFileUploadedWhoseDetailsFailedIsNeverUploadedAgain() {
        Flow flow = new Flow(decision("dec-1", true));
        flow.expect(ReferralStep.SUBMIT);
        flow.answer(ok().setExternalId("100001"));
        flow.expect(ReferralStep.FILE);
        flow.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("fileinfo").setOutcome(CallOutcomeKind.TRANSIENT)
                .setFileId("7").setResponseCode(1000));
        flow.wakeWhenDue();

        ReferralCommand again = flow.expect(ReferralStep.FILE);
        assertThat(again.getFile().getContentId()).isEqualTo("media-1");
        assertThat(again.getFile().getFileId()).as("only the details are left to send").isEqualTo("7");
    }

    @Test
    void anAccountsReportsGoOneAtATimeAndALaterOneNamesTheEarlierFinishedOnes() {
        Flow flow = new Flow(decision("dec-1", false));
        flow.admit(decision("dec-2", false));
        assertThat(flow.commands).hasSize(1);
        assertThat(flow.lastCommand().getReferralId()).isEqualTo("dec-1/NCMEC");
        flow.answer(ok().setExternalId("100001"));
        flow.expect(ReferralStep.FINISH);
        flow.answer(ok());
        flow.finished.put("dec-1/NCMEC", "100001");
        flow.expect(ReferralStep.HOLD);
        flow.answer(ok());

        ReferralCommand second = flow.expect(ReferralStep.SUBMIT);
        assertThat(second.getReferralId()).isEqualTo("dec-2/NCMEC");
        assertThat(second.getReportXml()).contains("<priorCTReports>100001</priorCTReports>");
    }

    @Test
    void retractionsNeverWithdrawAFinishedReportCancelAnUnfinishedOneAndDropOneNeverSent() {
        // never sent: dropped without a call
        Flow queued = new Flow(decision("dec-1", false));
        queued.admit(decision("dec-2", false));
        ReferralMachine.Result dropped = queued.admit(overturn("dec-3", "dec-2/NCMEC"));
        assertThat(queued.item("dec-2/NCMEC").getRetracted()).isTrue();
        assertThat(dropped.states()).extracting(ReferralStateView::of).contains(new ReferralStateView(ReferralStatus.RETRACTED, null));

        // submitted, not finished: retracted at NCMEC once its step in flight has answered
        Flow submitted = new Flow(decision("dec-1", false));
        submitted.answer(ok().setExternalId("100001"));
        submitted.expect(ReferralStep.FINISH);
        submitted.admit(overturn("dec-3", "dec-1/NCMEC"));
        submitted.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("finish").setOutcome(CallOutcomeKind.TRANSIENT));
        submitted.wakeWhenDue();
        assertThat(submitted.expect(ReferralStep.RETRACT).getReportId()).isEqualTo("100001");
        submitted.answer(ok());
        assertThat(submitted.item().getRetracted()).isTrue();
        assertThat(submitted.item().getFinishedAt()).isNull();

        // finished: never withdrawn, its hold still placed
        Flow finished = new Flow(decision("dec-1", false));
        finished.answer(ok().setExternalId("100001"));
        finished.expect(ReferralStep.FINISH);
        finished.answer(ok());
        ReferralMachine.Result late = finished.admit(overturn("dec-3", "dec-1/NCMEC"));
        assertThat(late.notes()).extracting(ReferralMachine.Note::kind).contains(ReferralMachine.Note.Kind.NOT_WITHDRAWN);
        assertThat(finished.item().getRetracted()).isFalse();

        // a retract answered "already finished" (a finish whose answer was lost): finished, held, never withdrawn
        Flow raced = new Flow(decision("dec-1", false));
        raced.answer(ok().setExternalId("100001"));
        raced.expect(ReferralStep.FINISH);
        raced.admit(overturn("dec-3", "dec-1/NCMEC"));
        raced.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("finish").setOutcome(CallOutcomeKind.TRANSIENT)
                .setMayHaveReachedServer(true));
        raced.wakeWhenDue();
        raced.expect(ReferralStep.RETRACT);
        ReferralMachine.Result already = raced.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("retract")
                .setOutcome(CallOutcomeKind.PERMANENT).setResponseCode(ReferralMachine.ALREADY_FINISHED));
        assertThat(already.finishedReports()).containsEntry("dec-1/NCMEC", "100001");
        assertThat(raced.expect(ReferralStep.HOLD)).isNotNull();
    }

    @Test
    void aReportNcmecNoLongerHasIsOpenedAgainNeverFinishedUnderAnotherId() {
        Flow flow = new Flow(decision("dec-1", true));
        flow.answer(ok().setExternalId("100001"));
        flow.expect(ReferralStep.FILE);
        ReferralMachine.Result gone = flow.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("upload")
                .setOutcome(CallOutcomeKind.PERMANENT).setResponseCode(ReferralMachine.NO_SUCH_REPORT));
        assertThat(gone.notes()).extracting(ReferralMachine.Note::kind).contains(ReferralMachine.Note.Kind.REOPENED);
        assertThat(flow.expect(ReferralStep.SUBMIT)).isNotNull();
        assertThat(flow.item().getResubmissions()).isEqualTo(1);
        assertThat(flow.item().getFiles()).extracting(FileProgress::getFileId).containsOnlyNulls();
    }

    @Test
    void aRefusalParksWithNcmecsCodeAndAReplayStartsANewSeriesAtTheSameStep() {
        Flow flow = new Flow(decision("dec-1", false));
        ReferralMachine.Result refused = flow.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("submit")
                .setOutcome(CallOutcomeKind.PERMANENT).setResponseCode(4100).setError("submit: NCMEC responseCode 4100 Validation failed"));
        assertThat(flow.item().getPhase()).isEqualTo(ReferralPhase.PARKED);
        assertThat(flow.item().getLastCode()).isEqualTo(4100);
        assertThat(refused.states()).extracting(ReferralStateView::of).contains(new ReferralStateView(ReferralStatus.PARKED, null));

        flow.replay("dec-1/NCMEC");
        ReferralCommand again = flow.expect(ReferralStep.SUBMIT);
        assertThat(again.getCommandId()).isEqualTo("dec-1/NCMEC#1.2");
        assertThat(flow.item().getReplayedBy()).isEqualTo("oncall");
    }

    @Test
    void transientFailuresBackOffUntilTheBudgetThenPark() {
        Flow flow = new Flow(decision("dec-1", false));
        flow.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("submit").setOutcome(CallOutcomeKind.TRANSIENT)
                .setHttpStatus(429).setRetryAfterMillis(60_000L));
        assertThat(Duration.between(flow.now, flow.item().getNextAttemptAt())).isEqualTo(Duration.ofSeconds(60));
        flow.now = T0.plus(SETTINGS.retryBudget());
        flow.wake();
        flow.expect(ReferralStep.SUBMIT);
        flow.answer(CallOutcome.newBuilder().setItemId("dec-1/NCMEC").setCall("submit").setOutcome(CallOutcomeKind.TRANSIENT)
                .setHttpStatus(503));
        assertThat(flow.item().getPhase()).isEqualTo(ReferralPhase.PARKED);
        assertThat(flow.item().getLastError()).startsWith("retries exhausted after 2 attempt(s)");
    }

    @Test
    void anInhopeReferralIsOneHotlineCall() {
        Flow flow = new Flow(urlMatchAbroad("dec-1"));
        ReferralCommand ncmec = flow.expect(ReferralStep.SUBMIT);
        assertThat(ncmec.getReferralId()).isEqualTo("dec-1/NCMEC");
        flow.answer(ok().setExternalId("100001"));
        flow.expect(ReferralStep.FINISH);
        flow.answer(ok());
        flow.expect(ReferralStep.HOLD);
        flow.answer(ok());
        ReferralCommand hotline = flow.expect(ReferralStep.HOTLINE);
        assertThat(hotline.getHostingCountry()).isEqualTo("NL");
        assertThat(hotline.getHotlineBody()).contains("\"reference\":\"dec-1/INHOPE-NL\"");
        flow.answer(ok().setExternalId("NL-42"));
        assertThat(flow.item("dec-1/INHOPE-NL").getPhase()).isEqualTo(ReferralPhase.DONE);
        assertThat(flow.item("dec-1/INHOPE-NL").getReportId()).isEqualTo("NL-42");
    }

    @Test
    void whatThePreviousReleaseFinishedIsNeverSentAgainAndWhatItSubmittedIsFinishedNotResubmitted() {
        Map<String, ReferralMachine.Earlier> earlier = Map.of("dec-1/NCMEC", new ReferralMachine.Earlier(ReferralStatus.FINISHED, "5"));
        ReferralMachine.Result seeded = ReferralMachine.admit(ACCOUNT, List.of(), decision("dec-1", false),
                new ReferralMachine.Context(Map.of(), earlier), T0, SETTINGS);
        assertThat(seeded.commands()).singleElement().extracting(ReferralCommand::getStep).isEqualTo(ReferralStep.HOLD);
        assertThat(seeded.finishedReports()).containsEntry("dec-1/NCMEC", "5");

        Map<String, ReferralMachine.Earlier> submitted = Map.of("dec-1/NCMEC", new ReferralMachine.Earlier(ReferralStatus.FILES_UPLOADED,
                "6"));
        ReferralMachine.Result resumed = ReferralMachine.admit(ACCOUNT, List.of(), decision("dec-1", true),
                new ReferralMachine.Context(Map.of(), submitted), T0, SETTINGS);
        assertThat(resumed.commands()).singleElement().satisfies(c -> {
            assertThat(c.getStep()).isEqualTo(ReferralStep.FINISH);
            assertThat(c.getReportId()).isEqualTo("6");
        });

        ReferralMachine.Result again = ReferralMachine.admit(ACCOUNT, List.of(), decision("dec-1", false),
                ReferralMachine.Context.of(Map.of("dec-1/NCMEC", "9")), T0, SETTINGS);
        assertThat(again.put()).isEmpty();
        assertThat(again.commands()).isEmpty();
    }

    @Test
    void theFileDetailsComeFromTheDecision() {
        Decision reviewed = Decision.newBuilder(decision("dec-1", true)).setConfirmation(ConfirmationSource.REVIEWER_VERDICT).build();
        Flow flow = new Flow(reviewed);
        flow.answer(ok().setExternalId("100001"));
        ReferralCommand file = flow.expect(ReferralStep.FILE);
        assertThat(file.getFile().getViewedByEsp()).isTrue();
        assertThat(file.getFile().getPubliclyAvailable()).as("a media item: not stated").isNull();
        assertThat(file.getFile().getHashes()).extracting(ContentHash::getAlgorithm).containsExactly("MD5");
    }

    // ---- every phase against every event ----

    enum Event { SUCCEEDED, ALREADY_DONE, TRANSIENT, PERMANENT, STALE, WAKE, TIMEOUT, REPLAY, OVERTURN }

    static Stream<Arguments> everyPhaseAndEvent() {
        List<Arguments> cases = new ArrayList<>();
        for (ReferralPhase phase : ReferralPhase.values()) {
            for (ReferralStep step : ReferralStep.values()) {
                for (Event event : Event.values()) {
                    cases.add(Arguments.of(phase, step, event));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} at {1} + {2}")
    @MethodSource("everyPhaseAndEvent")
    void everyEventInEveryPhaseKeepsTheInvariants(ReferralPhase phase, ReferralStep step, Event event) {
        ReferralItem item = inPhase(phase, step);
        Instant now = T0.plusSeconds(30);
        ReferralMachine.Result result = switch (event) {
            case SUCCEEDED, ALREADY_DONE, TRANSIENT, PERMANENT -> ReferralMachine.onResult(ACCOUNT, List.of(item), result("cmd-1",
                    CallOutcome.newBuilder().setItemId(item.getReferralId()).setCall("x").setOutcome(CallOutcomeKind.valueOf(event.name()))
                            .setExternalId("100009").setFileId("9").build()), NONE, now, SETTINGS);
            case STALE -> ReferralMachine.onResult(ACCOUNT, List.of(item), result("cmd-0", CallOutcome.newBuilder()
                    .setItemId(item.getReferralId()).setCall("x").setOutcome(CallOutcomeKind.SUCCEEDED).build()), NONE, now, SETTINGS);
            case WAKE -> ReferralMachine.onWake(ACCOUNT, List.of(item), NONE, now, SETTINGS);
            case TIMEOUT -> ReferralMachine.onWake(ACCOUNT, List.of(item), NONE, T0.plus(SETTINGS.commandTimeout()), SETTINGS);
            case REPLAY -> ReferralMachine.onResult(ACCOUNT, List.of(item), replay(item.getReferralId()), NONE, now, SETTINGS);
            case OVERTURN -> ReferralMachine.admit(ACCOUNT, List.of(item), overturn("dec-9", item.getReferralId()), NONE, now, SETTINGS);
        };
        ReferralItem after = result.put().stream().filter(i -> i.getReferralId().equals(item.getReferralId())).findFirst().orElse(item);
        assertThat(result.commands()).hasSizeLessThanOrEqualTo(1);
        if (item.getFinishedAt() != null) {
            assertThat(after.getFinishedAt()).as("finished stays finished").isNotNull();
            assertThat(after.getRetracted()).as("a finished report is never withdrawn").isFalse();
            assertThat(result.commands()).noneMatch(c -> c.getStep() == ReferralStep.RETRACT || c.getStep() == ReferralStep.SUBMIT);
        }
        if (phase == ReferralPhase.DONE) {
            assertThat(after.getPhase()).as("done is final").isEqualTo(ReferralPhase.DONE);
            assertThat(result.commands()).isEmpty();
        }
        if (phase == ReferralPhase.PARKED && event != Event.REPLAY && event != Event.OVERTURN) {
            assertThat(after.getPhase()).as("parked until replayed").isEqualTo(ReferralPhase.PARKED);
        }
        if (phase != ReferralPhase.IN_FLIGHT && Set.of(Event.SUCCEEDED, Event.ALREADY_DONE, Event.TRANSIENT, Event.PERMANENT, Event.STALE)
                .contains(event)) {
            assertThat(result.notes()).extracting(ReferralMachine.Note::kind).contains(ReferralMachine.Note.Kind.STALE_RESULT);
            assertThat(result.finishedReports()).isEmpty();
        }
        for (ReferralCommand command : result.commands()) {
            if (command.getStep() != ReferralStep.SUBMIT && command.getStep() != ReferralStep.HOTLINE) {
                assertThat(command.getReportId()).as("every step after submit names the report").isNotNull();
            }
        }
    }

    @Test
    void randomWalksFinishEachReportAtMostOnceAndKeepOneCommandOutPerAccount() {
        for (long seed = 1; seed <= 300; seed++) {
            Random random = new Random(seed);
            List<ReferralItem> state = new ArrayList<>();
            Map<String, String> finished = new LinkedHashMap<>();
            Map<String, Integer> finishes = new HashMap<>();
            Set<String> commandIds = new HashSet<>();
            Instant now = T0;
            int decisions = 0;
            long reportIds = 100_000;
            for (int step = 0; step < 80; step++) {
                now = now.plusMillis(random.nextInt(3_000));
                ReferralItem out = state.stream().filter(i -> i.getPhase() == ReferralPhase.IN_FLIGHT).findFirst().orElse(null);
                ReferralMachine.Context context = ReferralMachine.Context.of(finished);
                int choice = random.nextInt(12);
                ReferralMachine.Result result;
                if (choice < 2 && decisions < 3) {
                    decisions++;
                    result = ReferralMachine.admit(ACCOUNT, state, random.nextBoolean() ? decision("dec-" + decisions, random.nextBoolean())
                            : urlMatchAbroad("dec-" + decisions), context, now, SETTINGS);
                } else if (choice == 2 && decisions > 0) {
                    result = ReferralMachine.admit(ACCOUNT, state, overturn("ovr-" + step, "dec-" + (1 + random.nextInt(decisions))
                            + "/NCMEC"), context, now, SETTINGS);
                } else if (choice < 9 && out != null) {
                    CallOutcomeKind kind = List.of(CallOutcomeKind.SUCCEEDED, CallOutcomeKind.SUCCEEDED, CallOutcomeKind.ALREADY_DONE,
                            CallOutcomeKind.TRANSIENT, CallOutcomeKind.PERMANENT).get(random.nextInt(5));
                    CallOutcome.Builder outcome = CallOutcome.newBuilder().setItemId(out.getReferralId()).setCall("x").setOutcome(kind)
                            .setExternalId(Long.toString(reportIds++)).setFileId(Long.toString(reportIds++));
                    if (kind == CallOutcomeKind.PERMANENT && random.nextInt(4) == 0) {
                        outcome.setResponseCode(List.of(ReferralMachine.NO_SUCH_REPORT, ReferralMachine.ALREADY_FINISHED,
                                ReferralMachine.ALREADY_RETRACTED).get(random.nextInt(3)));
                    }
                    result = ReferralMachine.onResult(ACCOUNT, state, result(out.getCommandId(), outcome.build()), context, now, SETTINGS);
                } else if (choice == 9) {
                    ReferralItem parked = state.stream().filter(i -> i.getPhase() == ReferralPhase.PARKED).findFirst().orElse(null);
                    result = ReferralMachine.onResult(ACCOUNT, state, replay(parked == null ? "none" : parked.getReferralId()), context, now,
                            SETTINGS);
                } else {
                    now = now.plusSeconds(random.nextInt(4) == 0 ? 700 : 60);
                    result = ReferralMachine.onWake(ACCOUNT, state, context, now, SETTINGS);
                }
                Map<String, ReferralItem> next = new LinkedHashMap<>();
                state.forEach(i -> next.put(i.getReferralId(), i));
                result.put().forEach(i -> next.put(i.getReferralId(), i));
                result.removed().forEach(next::remove);
                assertThat(next.values().stream().filter(i -> i.getPhase() == ReferralPhase.IN_FLIGHT).count())
                        .as("seed " + seed + ": one command out per account").isLessThanOrEqualTo(1);
                for (ReferralCommand command : result.commands()) {
                    assertThat(commandIds.add(command.getCommandId())).as("unique command ids").isTrue();
                    ReferralItem target = next.get(command.getReferralId());
                    if (command.getStep() == ReferralStep.SUBMIT) {
                        assertThat(target.getFinishedAt()).as("seed " + seed + ": never submitted once finished").isNull();
                    }
                    if (command.getStep() == ReferralStep.RETRACT) {
                        assertThat(target.getFinishedAt()).as("seed " + seed + ": a finished report is never retracted").isNull();
                    }
                }
                result.finishedReports().forEach((referral, report) -> finishes.merge(referral, 1, Integer::sum));
                finished.putAll(result.finishedReports());
                state = new ArrayList<>(next.values());
            }
            assertThat(finishes.values()).as("seed " + seed + ": each referral finished at most once").allMatch(n -> n == 1);
        }
    }

    // ---- fixtures ----

    /** One account's referrals driven event by event, as the processor would. */
    private static final class Flow {
        List<ReferralItem> items = new ArrayList<>();
        final List<ReferralCommand> commands = new ArrayList<>();
        final Map<String, String> finished = new LinkedHashMap<>();
        Instant now = T0;

        Flow(Decision decision) {
            admit(decision);
        }

        ReferralMachine.Result admit(Decision decision) {
            return apply(ReferralMachine.admit(ACCOUNT, items, decision, ReferralMachine.Context.of(finished), now, SETTINGS));
        }

        ReferralMachine.Result answer(CallOutcome.Builder outcome) {
            now = now.plusSeconds(1);
            return apply(ReferralMachine.onResult(ACCOUNT, items, result(lastCommand().getCommandId(), outcome.setItemId(
                    lastCommand().getReferralId()).setCall(outcome.hasCall() ? outcome.getCall() : "x").build()),
                    ReferralMachine.Context.of(finished), now, SETTINGS));
        }

        void replay(String id) {
            apply(ReferralMachine.onResult(ACCOUNT, items, ReferralMachineTest.replay(id), ReferralMachine.Context.of(finished), now,
                    SETTINGS));
        }

        void wake() {
            apply(ReferralMachine.onWake(ACCOUNT, items, ReferralMachine.Context.of(finished), now, SETTINGS));
        }

        void wakeWhenDue() {
            ReferralItem waiting = items.stream().filter(i -> i.getPhase() == ReferralPhase.WAITING).findFirst().orElseThrow();
            now = waiting.getNextAttemptAt();
            wake();
        }

        ReferralCommand expect(ReferralStep step) {
            assertThat(lastCommand().getStep()).isEqualTo(step);
            return lastCommand();
        }

        ReferralCommand lastCommand() {
            return commands.get(commands.size() - 1);
        }

        ReferralItem item() {
            return item(lastCommand().getReferralId());
        }

        ReferralItem item(String id) {
            return items.stream().filter(i -> i.getReferralId().equals(id)).findFirst().orElseThrow();
        }

        private ReferralMachine.Result apply(ReferralMachine.Result result) {
            Map<String, ReferralItem> next = new LinkedHashMap<>();
            items.forEach(i -> next.put(i.getReferralId(), i));
            result.put().forEach(i -> next.put(i.getReferralId(), i));
            result.removed().forEach(next::remove);
            items = new ArrayList<>(next.values());
            commands.addAll(result.commands());
            finished.putAll(result.finishedReports());
            return result;
        }
    }

    /** A referral state as the topic shows it, for comparisons. */
    record ReferralStateView(ReferralStatus status, String reportId) {
        static ReferralStateView of(org.cse.events.ReferralState state) {
            return new ReferralStateView(state.getStatus(), state.getExternalReportId());
        }
    }

    private static CallOutcome.Builder ok() {
        return CallOutcome.newBuilder().setItemId("x").setCall("x").setOutcome(CallOutcomeKind.SUCCEEDED);
    }

    private static ReferralItem inPhase(ReferralPhase phase, ReferralStep step) {
        Decision decision = decision("dec-1", true);
        ReferralItem.Builder item = ReferralItem.newBuilder().setAccountId(ACCOUNT).setReferralId("dec-1/NCMEC").setSeq(0)
                .setReferral(decision.getReferrals().get(0)).setDecision(decision).setPhase(phase)
                .setFiles(ReferralMachine.files(decision)).setUpdatedAt(T0);
        boolean submitted = step != ReferralStep.SUBMIT && step != ReferralStep.HOTLINE;
        if (submitted) {
            item.setReportId("100001");
        }
        if (step == ReferralStep.HOLD) {
            item.setFinishedAt(T0).setFiles(ReferralMachine.files(decision).stream()
                    .map(f -> new FileProgress(f.getContentId(), "1", true)).toList());
        }
        if (step == ReferralStep.RETRACT) {
            item.setRetractRequestedBy("dec-0");
        }
        switch (phase) {
            case IN_FLIGHT -> item.setCommandId("cmd-1").setCommandStep(step).setCommandIssuedAt(T0).setAttempt(1).setTotalAttempts(1)
                    .setStepStartedAt(T0);
            case WAITING -> item.setAttempt(1).setTotalAttempts(1).setStepStartedAt(T0).setNextAttemptAt(T0.plusSeconds(5));
            case DONE -> item.setFinishedAt(T0).setHoldPlaced(true).setSettledAt(T0);
            case PARKED -> item.setSettledAt(T0).setAttempt(3).setTotalAttempts(3).setLastError("refused");
            default -> {
            }
        }
        return item.build();
    }

    private static DeliveryResult result(String commandId, CallOutcome outcome) {
        return DeliveryResult.newBuilder().setCommandId(commandId).setAccountId(ACCOUNT).setOutcomes(List.of(outcome)).setAt(T0).build();
    }

    private static DeliveryResult replay(String itemId) {
        return DeliveryResult.newBuilder().setAccountId(ACCOUNT).setReplay(new Replay(itemId, "oncall", T0)).setAt(T0).build();
    }

    static Decision decision(String decisionId, boolean withFiles) {
        List<ContentRef> content = new ArrayList<>();
        if (withFiles) {
            content.add(ContentRef.newBuilder().setContentId("media-1").setKind(ContentKind.MEDIA)
                    .setHashes(List.of(new ContentHash("MD5", "5d41402abc4b2a76b9719d911017c592"))).build());
            content.add(ContentRef.newBuilder().setContentId("media-2").setKind(ContentKind.MEDIA).build());
        }
        content.add(ContentRef.newBuilder().setContentId("post-1").setKind(ContentKind.POST).setUrl("https://platform.invalid/p/1").build());
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId("inc-" + decisionId).setAccountId(ACCOUNT)
                .setPolicyVersion("test").setRuleId("confirmed-malicious").setReason("test").setReportedAt(T0).setKnowledgeAt(T0)
                .setDecidedAt(T0).setContent(content)
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)")
                        .setFileAnnotations(List.of("generativeAi")).build()))
                .build();
    }

    static Decision urlMatchAbroad(String decisionId) {
        Decision base = decision(decisionId, false);
        return Decision.newBuilder(base)
                .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl("http://files.example.invalid/x").setHostingCountry("NL").build()))
                .setReferrals(List.of(base.getReferrals().get(0), Referral.newBuilder().setReferralId(decisionId + "/INHOPE-NL")
                        .setTarget(ReferralTarget.INHOPE).setHostingCountry("NL").build()))
                .build();
    }

    static Decision overturn(String decisionId, String referralId) {
        return Decision.newBuilder(decision(decisionId, false)).setReferrals(List.of()).setRuleId("appeal-overturned")
                .setRetractions(List.of(new Retraction(referralId, ReferralTarget.NCMEC, null))).build();
    }
}
