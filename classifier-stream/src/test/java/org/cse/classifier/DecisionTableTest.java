package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.cse.classifier.state.AccountStatus;
import org.cse.events.ActionType;
import org.cse.events.BannedIdentifier;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.GeneratedMedium;
import org.cse.events.IdentifierType;
import org.cse.events.Intent;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.Verdict;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of POLICY.md's "Outcomes of a confirmed violation", for every category × confirmation
 * (verified match, or a reviewer verdict with each intent) × prior history × current status, through
 * the classifier topology: each row's history is built from real inputs (a platform prior strike, an
 * earlier no-malice violation, a ban evasion, an earlier hash match) on its own account. The
 * expectations below are written from POLICY.md, independently of the policy file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecisionTableTest {
    private static final String LIVE_VERSION = PolicyDefinition.bundled().version();
    private ClassifierDriver topology;

    @BeforeAll
    void start() {
        topology = new ClassifierDriver(null);
    }

    @AfterAll
    void stop() {
        topology.close();
    }

    /** POLICY.md: categories with "NCMEC report: yes" and their incident types. */
    private static final Map<Category, String> NCMEC = Map.of(
            Category.VISUAL_DEPICTION, "Child Pornography (possession, manufacture, and distribution)",
            Category.GENERATED_DEPICTION, "Child Pornography (possession, manufacture, and distribution)",
            Category.CSAM_LINK, "Child Pornography (possession, manufacture, and distribution)",
            Category.SOLICITATION, "Child Pornography (possession, manufacture, and distribution)",
            Category.TRAFFICKING, "Child Sex Trafficking",
            Category.EXPLICIT_MEDIA_TO_CHILD, "Unsolicited Obscene Material Sent to a Child",
            Category.ENTICEMENT, "Online Enticement of Children for Sexual Acts",
            Category.SEXTORTION, "Online Enticement of Children for Sexual Acts");
    /** POLICY.md: "no-malice path allowed: no". */
    private static final Set<Category> NO_MALICE_NOT_ALLOWED = EnumSet.of(Category.SOLICITATION, Category.TRAFFICKING,
            Category.EXPLICIT_MEDIA_TO_CHILD, Category.ENTICEMENT, Category.SEXTORTION);
    /** POLICY.md: "NCMEC high priority: always for SEXTORTION and TRAFFICKING". */
    private static final Set<Category> ALWAYS_HIGH_PRIORITY = EnumSet.of(Category.SEXTORTION, Category.TRAFFICKING);
    private static final Set<Category> DEPICTING_OR_LINKING = EnumSet.of(Category.VISUAL_DEPICTION, Category.GENERATED_DEPICTION,
            Category.CSAM_LINK);

    /** What a verified list can confirm (the policy file's lists): a hash list depictions, a URL list links. */
    private static final Map<Category, ReporterKind> CONFIRMED_BY_A_LIST = Map.of(Category.VISUAL_DEPICTION, ReporterKind.HASH_MATCH,
            Category.GENERATED_DEPICTION, ReporterKind.HASH_MATCH, Category.CSAM_LINK, ReporterKind.URL_MATCH);

    enum Confirmation { VERIFIED_MATCH, VERDICT_MALICIOUS, VERDICT_NOT_STATED, VERDICT_NO_MALICE }

    enum History {
        /** No history at all. */
        ACTIVE_NO_STRIKE(AccountStatus.ACTIVE, false),
        /** A strike the platform published from before this pipeline. */
        ACTIVE_PRIOR_STRIKE(AccountStatus.ACTIVE, true),
        /** Locked by an earlier first no-malice violation. */
        LOCKED_WITH_STRIKE(AccountStatus.LOCKED, true),
        /** Suspended for ban evasion, which is not a strike. */
        SUSPENDED_NO_STRIKE(AccountStatus.SUSPENDED, false),
        /** Suspended by an earlier verified hash match. */
        SUSPENDED_WITH_STRIKE(AccountStatus.SUSPENDED, true);

        final AccountStatus status;
        final boolean strike;

        History(AccountStatus status, boolean strike) {
            this.status = status;
            this.strike = strike;
        }
    }

    static Stream<Arguments> everyRow() {
        List<Arguments> rows = new ArrayList<>();
        for (Category category : Category.values()) {
            for (Confirmation confirmation : Confirmation.values()) {
                if (confirmation == Confirmation.VERIFIED_MATCH && !CONFIRMED_BY_A_LIST.containsKey(category)) {
                    continue; // a list confirms only what it is for: see aVerifiedMatchClaimedBeyondItsListIsReviewedNotDecided
                }
                for (History history : History.values()) {
                    rows.add(Arguments.of(category, confirmation, history));
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everyRow")
    void confirmedViolation(Category category, Confirmation confirmation, History history) {
        String account = "acct-" + category + "-" + confirmation + "-" + history;
        establish(account, history);
        Decision decision = decide(account, category, confirmation);

        boolean maliceFound = confirmation != Confirmation.VERDICT_NO_MALICE;
        String expectedRule;
        List<ActionType> expectedActions;
        if (history.status == AccountStatus.SUSPENDED) {
            expectedRule = RuleId.ALREADY_SUSPENDED.id();
            expectedActions = List.of(ActionType.REMOVE_CONTENT);
        } else if (history.strike) {
            expectedRule = RuleId.REPEAT_VIOLATION.id();
            expectedActions = List.of(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        } else if (maliceFound || NO_MALICE_NOT_ALLOWED.contains(category)) {
            expectedRule = maliceFound ? RuleId.CONFIRMED_MALICIOUS.id() : RuleId.NO_MALICE_NOT_ALLOWED.id();
            expectedActions = List.of(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        } else {
            expectedRule = RuleId.NO_MALICE_FIRST.id();
            expectedActions = DEPICTING_OR_LINKING.contains(category)
                    ? List.of(ActionType.REQUIRE_REMOVAL, ActionType.TEMPORARY_LOCK, ActionType.REMOVE_CONTENT)
                    : List.of(ActionType.REQUIRE_REMOVAL, ActionType.TEMPORARY_LOCK);
        }
        assertThat(decision.getRuleId()).isEqualTo(expectedRule);
        assertThat(decision.getActions()).extracting(a -> a.getType()).containsExactlyElementsOf(expectedActions);
        assertThat(decision.getActions()).filteredOn(a -> a.getType() == ActionType.REMOVE_CONTENT)
                .allSatisfy(a -> assertThat(a.getNotifyUser()).as("removal without notice").isFalse());
        assertThat(decision.getPolicyVersion()).isEqualTo(LIVE_VERSION);
        assertThat(decision.getReason()).isNotBlank();

        List<Referral> ncmec = decision.getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC).toList();
        if (NCMEC.containsKey(category)) {
            assertThat(ncmec).hasSize(1);
            assertThat(ncmec.get(0).getIncidentType()).isEqualTo(NCMEC.get(category));
            assertThat(ncmec.get(0).getPotentialMeme()).isEqualTo(expectedRule.equals(RuleId.NO_MALICE_FIRST.id()));
        } else {
            assertThat(ncmec).isEmpty();
        }
        assertThat(decision.getReferrals()).filteredOn(r -> r.getTarget() == ReferralTarget.INHOPE)
                .extracting(Referral::getHostingCountry)
                .containsExactlyElementsOf(category == Category.CSAM_LINK ? List.of("DE") : List.of());
        if (!ncmec.isEmpty()) {
            // POLICY.md: always high priority for SEXTORTION and TRAFFICKING; no verdict here finds imminent danger
            assertThat(ncmec.get(0).getEscalateToHighPriority() != null).as("high priority")
                    .isEqualTo(ALWAYS_HIGH_PRIORITY.contains(category));
            // no confirmation here states a medium: no generated-depiction annotation, whatever the category
            assertThat(ncmec.get(0).getFileAnnotations()).doesNotContain("generativeAi", "animeDrawingVirtualHentai");
        }
        if (category == Category.SEXTORTION) {
            assertThat(ncmec.get(0).getReportAnnotations()).containsExactly("sextortion");
        }
        if (category == Category.SOLICITATION) {
            assertThat(ncmec.get(0).getReportAnnotations()).containsExactly("csamSolicitation");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reportableCategories")
    void aReviewerFindingAChildInImminentDangerEscalatesEveryReportableCategory(Category category) {
        String account = "acct-imminent-" + category;
        topology.reports.pipeInput(account, Fixtures.userReport("r-" + account, account, "post-1", category));
        topology.verdicts.pipeInput(account, Verdict.newBuilder(Fixtures.violation("v-" + account, account, "r-" + account, category,
                Intent.MALICIOUS)).setImminentDanger(true).build());

        Decision decision = decisionsOf(account).get(0);
        Referral ncmec = decision.getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC).findFirst().orElseThrow();
        assertThat(ncmec.getEscalateToHighPriority()).contains("imminent danger");
        assertThat(decision.getImminentDanger()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reportableCategories")
    void withoutAFindingOfImminentDangerOnlySextortionAndTraffickingEscalate(Category category) {
        String account = "acct-not-imminent-" + category;
        topology.reports.pipeInput(account, Fixtures.userReport("r-" + account, account, "post-1", category));
        topology.verdicts.pipeInput(account, Verdict.newBuilder(Fixtures.violation("v-" + account, account, "r-" + account, category,
                Intent.MALICIOUS)).setImminentDanger(false).build());

        Referral ncmec = decisionsOf(account).get(0).getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC)
                .findFirst().orElseThrow();
        assertThat(ncmec.getEscalateToHighPriority() != null).isEqualTo(ALWAYS_HIGH_PRIORITY.contains(category));
    }

    static Stream<Category> reportableCategories() {
        return NCMEC.keySet().stream().sorted();
    }

    @ParameterizedTest(name = "{0} confirmed by {1}")
    @org.junit.jupiter.params.provider.CsvSource({
            "AI_OR_COMPUTER_GENERATED, verdict, generativeAi", "DRAWN_OR_ANIMATED, verdict, animeDrawingVirtualHentai",
            "NOT_STATED, verdict, ''", "AI_OR_COMPUTER_GENERATED, hash match, generativeAi",
            "DRAWN_OR_ANIMATED, hash match, animeDrawingVirtualHentai", "NOT_STATED, hash match, ''"})
    void aGeneratedDepictionsFileAnnotationFollowsTheMediumTheConfirmationStates(GeneratedMedium medium, String confirmation,
                                                                                String annotation) {
        String account = "acct-medium-" + medium + "-" + confirmation.replace(' ', '-');
        if (confirmation.equals("verdict")) {
            topology.reports.pipeInput(account, Fixtures.userReport("r-" + account, account, "post-1", Category.GENERATED_DEPICTION));
            topology.verdicts.pipeInput(account, Verdict.newBuilder(Fixtures.violation("v-" + account, account, "r-" + account,
                    Category.GENERATED_DEPICTION, Intent.MALICIOUS)).setGeneratedMedium(medium).build());
        } else {
            topology.reports.pipeInput(account, Report.newBuilder(Fixtures.hashMatch("r-" + account, account, "post-1",
                    Category.GENERATED_DEPICTION)).setGeneratedMedium(medium).build());
        }

        Decision decision = decisionsOf(account).get(0);
        Referral ncmec = decision.getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC).findFirst().orElseThrow();
        assertThat(ncmec.getFileAnnotations()).containsExactlyElementsOf(annotation == null || annotation.isEmpty() ? List.of()
                : List.of(annotation));
        assertThat(decision.getGeneratedMedium()).isEqualTo(medium);
    }

    @org.junit.jupiter.api.Test
    void aClassifierThatStatesTheMediumInformsAVerdictThatDoesNot() {
        String account = "acct-medium-from-classifier";
        topology.reports.pipeInput(account, Report.newBuilder(Fixtures.classifierReport("r-" + account, account, "post-1", 0.97))
                .setClaimedCategory(Category.GENERATED_DEPICTION).setGeneratedMedium(GeneratedMedium.AI_OR_COMPUTER_GENERATED).build());
        topology.verdicts.pipeInput(account, Fixtures.violation("v-" + account, account, "r-" + account, Category.GENERATED_DEPICTION,
                Intent.NO_MALICIOUS_INTENT));

        Referral ncmec = decisionsOf(account).get(0).getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC)
                .findFirst().orElseThrow();
        assertThat(ncmec.getFileAnnotations()).containsExactly("generativeAi", "potentialMeme");
    }

    static Stream<Arguments> everyClaimBeyondALIst() {
        List<Arguments> rows = new ArrayList<>();
        for (Category category : Category.values()) {
            if (!CONFIRMED_BY_A_LIST.containsKey(category)) {
                for (History history : History.values()) {
                    rows.add(Arguments.of(category, history));
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyClaimBeyondALIst")
    void aVerifiedMatchClaimedBeyondItsListIsReviewedNotDecided(Category category, History history) {
        String account = "acct-claim-" + category + "-" + history;
        establish(account, history);
        topology.reviews.readRecordsToList();

        topology.reports.pipeInput(account, Fixtures.hashMatch("r-" + account, account, "post-1", category));

        assertThat(decisionsOf(account)).isEmpty();
        assertThat(topology.reviews.readValuesToList()).filteredOn(r -> r.getAccountId().equals(account)).hasSize(1);
        assertThat(topology.deadLetters.isEmpty()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Category.class)
    void exemptionsAreRefusedOnDepictingOrLinkingContentAndCloseOtherIncidents(Category category) {
        String account = "acct-exempt-" + category;
        topology.reports.pipeInput(account, Fixtures.userReport("r1-" + account, account, "post", category));
        topology.verdicts.pipeInput(account, Fixtures.exemption("v1-" + account, account, "r1-" + account, category, Exemption.DISCUSSION));

        List<Decision> decisions = decisionsOf(account);
        var dead = topology.deadLetters.readRecordsToList().stream()
                .filter(r -> account.equals(new String(r.key(), StandardCharsets.UTF_8))).toList();
        if (DEPICTING_OR_LINKING.contains(category)) {
            assertThat(decisions).isEmpty();
            assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON)).containsExactly("INVALID_EXEMPTION");
        } else {
            assertThat(dead).isEmpty();
            assertThat(decisions).hasSize(1);
            assertThat(decisions.get(0).getRuleId()).isEqualTo(RuleId.NOT_A_VIOLATION.id());
            assertThat(decisions.get(0).getActions()).isEmpty();
        }
    }

    /** Builds the row's history from real inputs, and checks it took. */
    private void establish(String account, History history) {
        switch (history) {
            case ACTIVE_NO_STRIKE -> { }
            case ACTIVE_PRIOR_STRIKE -> topology.accountEvents.pipeInput(account,
                    Fixtures.priorStrike("e-" + account, account, Category.SEXUALIZED_COMMENTARY));
            case LOCKED_WITH_STRIKE -> {
                topology.reports.pipeInput(account, Fixtures.userReport("h-" + account, account, "earlier", Category.SEXUALIZED_COMMENTARY));
                topology.verdicts.pipeInput(account, Fixtures.violation("hv-" + account, account, "h-" + account,
                        Category.SEXUALIZED_COMMENTARY, Intent.NO_MALICIOUS_INTENT));
            }
            case SUSPENDED_NO_STRIKE -> {
                String hash = "h-banned-" + account;
                topology.bans.pipeInput(hash, BannedIdentifier.newBuilder().setIdentifierHash(hash).setType(IdentifierType.EMAIL)
                        .setAccountId("acct-banned-earlier").setDecisionId("dec-earlier").setBanned(true).setAt(T0).build());
                topology.accountEvents.pipeInput(account, Fixtures.created("e-" + account, account, hash));
            }
            case SUSPENDED_WITH_STRIKE -> topology.reports.pipeInput(account, Fixtures.hashMatch("h-" + account, account, "earlier"));
        }
        List<String> earlier = decisionsOf(account).stream().map(Decision::getRuleId).toList();
        switch (history) {
            case ACTIVE_NO_STRIKE, ACTIVE_PRIOR_STRIKE -> assertThat(earlier).isEmpty();
            case LOCKED_WITH_STRIKE -> assertThat(earlier).containsExactly(RuleId.NO_MALICE_FIRST.id());
            case SUSPENDED_NO_STRIKE -> assertThat(earlier).containsExactly(RuleId.BAN_EVASION.id());
            case SUSPENDED_WITH_STRIKE -> assertThat(earlier).containsExactly(RuleId.CONFIRMED_MALICIOUS.id());
        }
    }

    private Decision decide(String account, Category category, Confirmation confirmation) {
        Report report = Report.newBuilder(Fixtures.urlMatch("r-" + account, account, "post-1", "http://host.invalid/x", "DE"))
                .setClaimedCategory(category).build();
        if (confirmation == Confirmation.VERIFIED_MATCH) {
            boolean hashList = CONFIRMED_BY_A_LIST.get(category) == ReporterKind.HASH_MATCH;
            topology.reports.pipeInput(account, Report.newBuilder(report).setReporter(Reporter.newBuilder()
                    .setKind(CONFIRMED_BY_A_LIST.get(category)).setMatchList(hashList ? "ncmec-verified-hashes" : "iwf-url-list")
                    .setMatchListVerified(true).build()).build());
        } else {
            topology.reports.pipeInput(account, Report.newBuilder(report).setReporter(Reporter.newBuilder()
                    .setKind(ReporterKind.TRUSTED_FLAGGER).setReporterId("hotline").build()).build());
            Intent intent = switch (confirmation) {
                case VERDICT_MALICIOUS -> Intent.MALICIOUS;
                case VERDICT_NOT_STATED -> Intent.NOT_STATED;
                default -> Intent.NO_MALICIOUS_INTENT;
            };
            topology.verdicts.pipeInput(account, Fixtures.violation("v-" + account, account, "r-" + account, category, intent));
        }
        assertThat(topology.deadLetters.isEmpty()).as("nothing refused").isTrue();
        List<Decision> decisions = decisionsOf(account);
        assertThat(decisions).hasSize(1);
        return decisions.get(0);
    }

    private List<Decision> decisionsOf(String account) {
        return topology.decisions.readKeyValuesToList().stream().filter(kv -> account.equals(kv.key)).map(kv -> kv.value).toList();
    }
}
