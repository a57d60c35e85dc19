package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;
import static org.cse.classifier.Fixtures.appeal;
import static org.cse.classifier.Fixtures.created;
import static org.cse.classifier.Fixtures.exemption;
import static org.cse.classifier.Fixtures.hashMatch;
import static org.cse.classifier.Fixtures.urlMatch;
import static org.cse.classifier.Fixtures.userReport;
import static org.cse.classifier.Fixtures.violation;

import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.streams.test.TestRecord;
import org.cse.events.ActionType;
import org.cse.events.AppealStatus;
import org.cse.events.BannedIdentifier;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.IdentifierType;
import org.cse.events.Intent;
import org.cse.events.Priority;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.ReviewReason;
import org.cse.events.ReviewRequest;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClassifierTopologyTest {
    private static final String LIVE = PolicyDefinition.bundled().version();
    private ClassifierDriver driver;

    private void start(PolicyDefinition shadow) {
        driver = new ClassifierDriver(shadow);
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void verifiedHashMatchSuspendsRemovesBansAndRefersToNcmec() throws Exception {
        start(null);
        driver.accountEvents.pipeInput("acct-1", created("e1", "acct-1", "h-email"));
        driver.reports.pipeInput("acct-1", hashMatch("r1", "acct-1", "post-1"));

        Decision decision = driver.decisions.readValue();
        assertThat(decision.getRuleId()).isEqualTo(RuleId.CONFIRMED_MALICIOUS.id());
        assertThat(decision.getActions()).extracting(a -> a.getType())
                .containsExactly(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        assertThat(decision.getActions().get(2).getIdentifierHashes()).extracting(i -> i.getHash()).containsExactly("h-email");
        assertThat(decision.getReferrals()).extracting(Referral::getTarget).containsExactly(ReferralTarget.NCMEC);
        assertThat(decision.getPolicyVersion()).isEqualTo(PolicyDefinition.bundled().version());
        assertThat(decision.getKnowledgeAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(driver.decisions.isEmpty()).isTrue();
        assertThat(driver.reviews.isEmpty()).isTrue();
    }

    @Test
    void anAccountKeptAsOneEntryByAnEarlierReleaseIsSplitOnItsNextInputAndDecidedTheSame() {
        start(null);
        // what the previous release left: the whole history in the account's one entry
        Policy whole = new Policy(PolicyDefinition.bundled());
        Report first = userReport("r1", "acct-old", "post-1", Category.VISUAL_DEPICTION);
        var state = whole.onReport(null, first, T0).state();
        var summaries = driver.driver.<String, byte[]>getKeyValueStore(ClassifierTopology.HISTORY_STORE);
        summaries.put("acct-old", new AccountStateSerde(driver.registry).serializer().serialize("t", state));

        driver.reports.pipeInput("acct-old", first); // a retry of a report the old entry holds
        driver.reports.pipeInput("acct-old", hashMatch("r2", "acct-old", "post-1")); // attaches to its incident

        assertThat(driver.reviews.isEmpty()).isTrue();
        assertThat(driver.meters.counter("cse_classifier_duplicate_inputs", "input", "report").count()).isEqualTo(1);
        Decision decision = driver.decisions.readValue();
        assertThat(decision.getIncidentId()).isEqualTo(state.getIncidents().get(0).getIncidentId());
        assertThat(decision.getReportIds()).containsExactly("r1", "r2");
        var summary = new AccountStateSerde(driver.registry).deserializer().deserialize("t", summaries.get("acct-old"));
        assertThat(summary.getIncidents()).isEmpty();
        assertThat(summary.getRecentReports()).isEmpty();
        assertThat(driver.entrySizes(SplitHistory.Stores.LIVE.incidents(), "acct-old")).containsOnlyKeys("acct-old/" + decision.getIncidentId());
        assertThat(driver.history("acct-old").getIncidents()).extracting(i -> i.getPosition()).containsExactly(1L);
        assertThat(driver.history("acct-old").getRecentReports()).extracting(seen -> seen.getReportId()).containsExactly("r1", "r2");
    }

    @Test
    void unconfirmedReportsRequestReviewWithPriorityAndNoDecision() throws Exception {
        start(null);
        driver.reports.pipeInput("a", userReport("r1", "a", "p1", Category.SEXTORTION));
        driver.reports.pipeInput("b", userReport("r2", "b", "p2", Category.SEXUALIZED_COMMENTARY));
        driver.reports.pipeInput("c", Fixtures.classifierReport("r3", "c", "p3", 0.95));
        driver.reports.pipeInput("d", Fixtures.classifierReport("r4", "d", "p4", 0.5));
        driver.reports.pipeInput("e", userReport("r5", "e", "p5", Category.TRAFFICKING));

        assertThat(driver.reviews.readValuesToList()).extracting(ReviewRequest::getPriority)
                .containsExactly(Priority.HIGH, Priority.NORMAL, Priority.HIGH, Priority.NORMAL, Priority.HIGH);
        assertThat(driver.decisions.isEmpty()).isTrue();
    }

    @Test
    void aThousandReportsOfTheSamePostAreOneIncidentOneReviewOneDecision() throws Exception {
        start(null);
        IntStream.range(0, 1000).forEach(i -> driver.reports.pipeInput("acct-9", userReport("r" + i, "acct-9", "post-9", null)));
        driver.verdicts.pipeInput("acct-9", violation("v1", "acct-9", "r500", Category.FANTASY_OR_PROMOTION, Intent.MALICIOUS));
        IntStream.range(1000, 1100).forEach(i -> driver.reports.pipeInput("acct-9", hashMatch("r" + i, "acct-9", "post-9")));

        assertThat(driver.reviews.readValuesToList()).hasSize(1);
        List<Decision> all = driver.decisions.readValuesToList();
        assertThat(all).hasSize(1);
        assertThat(all.get(0).getReportIds()).hasSize(1000);
    }

    @Test
    void twoNoMaliceViolationsInTheSameMillisecondLockThenSuspend() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-2", userReport("r1", "acct-2", "post-a", Category.SEXUALIZED_COMMENTARY), T0);
        driver.reports.pipeInput("acct-2", userReport("r2", "acct-2", "post-b", Category.SEXUALIZED_COMMENTARY), T0);
        driver.verdicts.pipeInput("acct-2", violation("v1", "acct-2", "r1", Category.SEXUALIZED_COMMENTARY, Intent.NO_MALICIOUS_INTENT), T0);
        driver.verdicts.pipeInput("acct-2", violation("v2", "acct-2", "r2", Category.SEXUALIZED_COMMENTARY, Intent.NO_MALICIOUS_INTENT), T0);

        List<Decision> all = driver.decisions.readValuesToList();
        assertThat(all).extracting(Decision::getRuleId).containsExactly(RuleId.NO_MALICE_FIRST.id(), RuleId.REPEAT_VIOLATION.id());
        assertThat(all.get(0).getActions()).extracting(a -> a.getType())
                .containsExactly(ActionType.REQUIRE_REMOVAL, ActionType.TEMPORARY_LOCK);
        assertThat(all.get(1).getActions()).extracting(a -> a.getType()).contains(ActionType.SUSPEND_PERMANENTLY);
    }

    @Test
    void newContentOnASuspendedAccountIsRemovedAndReferredWithoutASecondSuspension() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-3", hashMatch("r1", "acct-3", "post-a"));
        driver.reports.pipeInput("acct-3", hashMatch("r2", "acct-3", "post-b"));

        List<Decision> all = driver.decisions.readValuesToList();
        assertThat(all.get(1).getRuleId()).isEqualTo(RuleId.ALREADY_SUSPENDED.id());
        assertThat(all.get(1).getActions()).extracting(a -> a.getType()).containsExactly(ActionType.REMOVE_CONTENT);
        assertThat(all.get(1).getReferrals()).extracting(Referral::getTarget).containsExactly(ReferralTarget.NCMEC);
    }

    @Test
    void verifiedUrlMatchHostedAbroadAlsoGoesToThatCountrysHotline() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-4", urlMatch("r1", "acct-4", "post-4", "http://host.invalid/a", "NL"));
        driver.reports.pipeInput("acct-5", urlMatch("r2", "acct-5", "post-5", "http://host.invalid/b", "US"));

        assertThat(driver.decisions.readValue().getReferrals()).extracting(Referral::getTarget, Referral::getHostingCountry)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ReferralTarget.NCMEC, null),
                        org.assertj.core.groups.Tuple.tuple(ReferralTarget.INHOPE, "NL"));
        assertThat(driver.decisions.readValue().getReferrals()).extracting(Referral::getTarget).containsExactly(ReferralTarget.NCMEC);
    }

    @Test
    void refusedInputsGoToTheDeadLetterTopicWithReasonAndTheAppKeepsDeciding() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-6", userReport("r1", "acct-6", "post-6", Category.VISUAL_DEPICTION));
        driver.verdicts.pipeInput("acct-6", violation("v1", "acct-6", "no-such-report", Category.VISUAL_DEPICTION, Intent.MALICIOUS));
        driver.verdicts.pipeInput("acct-6", exemption("v2", "acct-6", "r1", Category.VISUAL_DEPICTION, Exemption.NON_SEXUALIZED_CONTEXT));
        driver.appeals.pipeInput("acct-6", appeal("a1", "acct-6", "dec-unknown", AppealStatus.FILED));
        driver.reports.pipeInput("acct-6", (Report) null);
        driver.reports.pipeInput("acct-7", hashMatch("r9", "acct-7", "post-7"));

        List<TestRecord<byte[], byte[]>> dead = driver.deadLetters.readRecordsToList();
        assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("UNKNOWN_REPORT", "INVALID_EXEMPTION", "UNKNOWN_DECISION", "NULL_VALUE");
        assertThat(DeadLetters.header(dead.get(1).headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.VERDICTS.name());
        assertThat(Topics.VERDICTS.valueSerde(driver.registry).deserializer().deserialize(Topics.VERDICTS.name(), dead.get(1).value())
                .getVerdictId()).isEqualTo("v2");
        assertThat(driver.decisions.readValue().getAccountId()).isEqualTo("acct-7");
        assertThat(driver.meters.counter("cse_classifier_dead_letters", "input", "verdict", "reason", "INVALID_EXEMPTION").count()).isEqualTo(1.0);
    }

    @Test
    void aVerifiedMatchConfirmsOnlyWhatItsListIsFor() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-20", hashMatch("r1", "acct-20", "post-1", Category.SEXTORTION));
        driver.reports.pipeInput("acct-21", hashMatch("r2", "acct-21", "post-2", Category.GENERATED_DEPICTION));
        driver.reports.pipeInput("acct-22", Report.newBuilder(hashMatch("r3", "acct-22", "post-3"))
                .setReporter(org.cse.events.Reporter.newBuilder().setKind(org.cse.events.ReporterKind.HASH_MATCH)
                        .setMatchList("some-other-list").setMatchListVerified(true).build()).build());
        driver.reports.pipeInput("acct-23", Report.newBuilder(urlMatch("r4", "acct-23", "post-4", "http://h.invalid/x", "NL"))
                .setReporter(org.cse.events.Reporter.newBuilder().setKind(org.cse.events.ReporterKind.URL_MATCH)
                        .setMatchList("ncmec-verified-hashes").setMatchListVerified(true).build()).build());

        assertThat(driver.decisions.readValuesToList()).extracting(Decision::getAccountId, Decision::getCategory)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("acct-21", Category.GENERATED_DEPICTION));
        List<ReviewRequest> reviews = driver.reviews.readValuesToList();
        assertThat(reviews).extracting(ReviewRequest::getAccountId).containsExactly("acct-20", "acct-22", "acct-23");
        assertThat(reviews.get(0).getPriority()).as("a claimed sextortion still gets a high-priority review").isEqualTo(Priority.HIGH);
    }

    @Test
    void anExemptionOnCommentaryClosesTheIncidentWithoutAction() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-8", userReport("r1", "acct-8", "post-8", Category.SEXUALIZED_COMMENTARY));
        driver.verdicts.pipeInput("acct-8", exemption("v1", "acct-8", "r1", Category.SEXUALIZED_COMMENTARY, Exemption.NON_SEXUALIZED_CONTEXT));

        Decision decision = driver.decisions.readValue();
        assertThat(decision.getRuleId()).isEqualTo(RuleId.NOT_A_VIOLATION.id());
        assertThat(decision.getActions()).isEmpty();
        assertThat(decision.getReferrals()).isEmpty();
    }

    @Test
    void anAppealOpensAReviewAndAnOverturnReinstatesUnbansAndRetracts() throws Exception {
        start(null);
        driver.accountEvents.pipeInput("acct-10", created("e1", "acct-10", "h-10"));
        driver.reports.pipeInput("acct-10", hashMatch("r1", "acct-10", "post-10"));
        Decision suspended = driver.decisions.readValue();

        driver.appeals.pipeInput("acct-10", appeal("a1", "acct-10", suspended.getDecisionId(), AppealStatus.FILED));
        ReviewRequest review = driver.reviews.readValue();
        assertThat(review.getReason()).isEqualTo(ReviewReason.APPEAL);
        assertThat(review.getDecisionId()).isEqualTo(suspended.getDecisionId());

        driver.appeals.pipeInput("acct-10", appeal("a1", "acct-10", suspended.getDecisionId(), AppealStatus.OVERTURNED));
        Decision overturned = driver.decisions.readValue();
        assertThat(overturned.getRuleId()).isEqualTo(RuleId.APPEAL_OVERTURNED.id());
        assertThat(overturned.getActions()).extracting(a -> a.getType())
                .containsExactly(ActionType.REINSTATE_ACCOUNT, ActionType.UNBAN_IDENTIFIERS);
        assertThat(overturned.getRetractReferralIds()).containsExactly(Ids.ncmecReferral(suspended.getDecisionId()));

        // the strike has left the history: a later no-malice violation is a first violation again
        driver.reports.pipeInput("acct-10", userReport("r2", "acct-10", "post-11", Category.SEXUALIZED_COMMENTARY));
        driver.verdicts.pipeInput("acct-10", violation("v1", "acct-10", "r2", Category.SEXUALIZED_COMMENTARY, Intent.NO_MALICIOUS_INTENT));
        assertThat(driver.decisions.readValue().getRuleId()).isEqualTo(RuleId.NO_MALICE_FIRST.id());
    }

    @Test
    void anUpheldAppealChangesNothing() throws Exception {
        start(null);
        driver.reports.pipeInput("acct-11", hashMatch("r1", "acct-11", "post-1"));
        Decision suspended = driver.decisions.readValue();
        driver.appeals.pipeInput("acct-11", appeal("a1", "acct-11", suspended.getDecisionId(), AppealStatus.UPHELD));
        driver.reports.pipeInput("acct-11", hashMatch("r2", "acct-11", "post-2"));

        List<Decision> after = driver.decisions.readValuesToList();
        assertThat(after).extracting(Decision::getRuleId).containsExactly(RuleId.APPEAL_UPHELD.id(), RuleId.ALREADY_SUSPENDED.id());
        assertThat(after.get(0).getActions()).isEmpty();
    }

    @Test
    void aNewAccountWithABannedIdentifierIsSuspendedForBanEvasion() throws Exception {
        start(null);
        driver.bans.pipeInput("h-banned", BannedIdentifier.newBuilder().setIdentifierHash("h-banned").setType(IdentifierType.EMAIL)
                .setAccountId("acct-old").setDecisionId("dec-old").setBanned(true).setAt(T0).build());
        driver.accountEvents.pipeInput("acct-new", created("e2", "acct-new", "h-banned"));
        driver.accountEvents.pipeInput("acct-clean", created("e3", "acct-clean", "h-fresh"));

        Decision decision = driver.decisions.readValue();
        assertThat(decision.getAccountId()).isEqualTo("acct-new");
        assertThat(decision.getRuleId()).isEqualTo(RuleId.BAN_EVASION.id());
        assertThat(decision.getReason()).startsWith("BAN_EVASION");
        assertThat(decision.getActions().get(0).getType()).isEqualTo(ActionType.SUSPEND_PERMANENTLY);
        assertThat(driver.decisions.isEmpty()).isTrue();
    }

    @Test
    void aShadowPolicyDecidesBesideTheLiveOneAndItsDisagreementsAreCounted() throws Exception {
        // The candidate makes SEXUALIZED_COMMENTARY ineligible for the no-malice path.
        PolicyDefinition candidate = PolicyDefinitionTest.parse(PolicyDefinitionTest.bundledText()
                .replace("version: \"" + LIVE + "\"", "version: \"candidate\"")
                .replace("  SEXUALIZED_COMMENTARY:\n    depictsOrLinks: false\n    noMaliceAllowed: true\n",
                        "  SEXUALIZED_COMMENTARY:\n    depictsOrLinks: false\n    noMaliceAllowed: false\n"));
        start(candidate);
        driver.reports.pipeInput("acct-12", userReport("r1", "acct-12", "post-1", Category.SEXUALIZED_COMMENTARY));
        driver.verdicts.pipeInput("acct-12", violation("v1", "acct-12", "r1", Category.SEXUALIZED_COMMENTARY, Intent.NO_MALICIOUS_INTENT));
        driver.reports.pipeInput("acct-13", hashMatch("r2", "acct-13", "post-2"));

        assertThat(driver.decisions.readValuesToList()).extracting(Decision::getRuleId)
                .containsExactly(RuleId.NO_MALICE_FIRST.id(), RuleId.CONFIRMED_MALICIOUS.id());
        List<Decision> shadow = driver.shadowDecisions.readValuesToList();
        assertThat(shadow).extracting(Decision::getRuleId).containsExactly(RuleId.NO_MALICE_NOT_ALLOWED.id(), RuleId.CONFIRMED_MALICIOUS.id());
        assertThat(shadow).extracting(Decision::getPolicyVersion).containsOnly("candidate");
        assertThat(driver.meters.counter("cse_classifier_shadow_disagreements", "live", LIVE, "shadow", "candidate",
                "live_rule", RuleId.NO_MALICE_FIRST.id(), "shadow_rule", RuleId.NO_MALICE_NOT_ALLOWED.id()).count()).isEqualTo(1.0);
        assertThat(driver.meters.counter("cse_classifier_shadow_comparisons", "live", LIVE, "shadow", "candidate").count())
                .isEqualTo(3.0);
    }

    @Test
    void aCandidateThatOnlyChangesWhatNcmecIsToldStillDisagreesUnderTheSameRule() throws Exception {
        // The candidate no longer escalates TRAFFICKING: same rule, same actions, another report.
        PolicyDefinition candidate = PolicyDefinitionTest.parse(PolicyDefinitionTest.bundledText()
                .replace("version: \"" + LIVE + "\"", "version: \"candidate\"")
                .replace("      escalateToHighPriority: \"Child sex trafficking\"\n", ""));
        start(candidate);
        driver.reports.pipeInput("acct-14", userReport("r1", "acct-14", "post-1", Category.TRAFFICKING));
        driver.verdicts.pipeInput("acct-14", violation("v1", "acct-14", "r1", Category.TRAFFICKING, Intent.MALICIOUS));

        assertThat(driver.decisions.readValue().getReferrals().get(0).getEscalateToHighPriority()).isNotNull();
        assertThat(driver.shadowDecisions.readValue().getReferrals().get(0).getEscalateToHighPriority()).isNull();
        assertThat(driver.meters.counter("cse_classifier_shadow_disagreements", "live", LIVE, "shadow", "candidate",
                "live_rule", RuleId.CONFIRMED_MALICIOUS.id(), "shadow_rule", RuleId.CONFIRMED_MALICIOUS.id()).count()).isEqualTo(1.0);
    }

    @Test
    void aShadowPolicyThatFailsNeverDeadLettersNorChangesWhatTheLivePolicyDecided() throws Exception {
        // A candidate built in code without a rule for VISUAL_DEPICTION (the YAML loader would refuse it):
        // it throws on the hash match that the live policy decides.
        PolicyDefinition bundled = PolicyDefinition.bundled();
        java.util.Map<Category, PolicyDefinition.CategoryRule> rules = new java.util.EnumMap<>(bundled.categories());
        rules.remove(Category.VISUAL_DEPICTION);
        start(new PolicyDefinition("broken", bundled.incidentWindow(), bundled.highPriorityCategories(), bundled.highPriorityScore(),
                bundled.imminentDanger(), bundled.verifiedLists(), rules));
        driver.reports.pipeInput("acct-15", hashMatch("r1", "acct-15", "post-1"));
        driver.reports.pipeInput("acct-16", userReport("r2", "acct-16", "post-2", Category.SEXUALIZED_COMMENTARY));

        assertThat(driver.decisions.readValuesToList()).extracting(Decision::getRuleId).containsExactly(RuleId.CONFIRMED_MALICIOUS.id());
        assertThat(driver.reviews.readValuesToList()).hasSize(1);
        assertThat(driver.deadLetters.isEmpty()).as("nothing dead-lettered").isTrue();
        assertThat(driver.shadowDecisions.isEmpty()).isTrue();
        assertThat(driver.meters.counter("cse_classifier_shadow_failures", "shadow", "broken", "input", "report").count()).isEqualTo(1.0);
        // the candidate goes on with the inputs it can take
        assertThat(driver.meters.counter("cse_classifier_shadow_comparisons", "live", LIVE, "shadow", "broken").count()).isEqualTo(1.0);
    }
}
