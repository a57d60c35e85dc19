package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.cse.events.AccountState;
import org.cse.events.AccountStatus;
import org.cse.events.ActionType;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.Intent;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Strike;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of POLICY.md's "Outcomes of a confirmed violation", for every category × confirmation
 * (verified match, or a reviewer verdict with each intent) × prior history × current status. The
 * expectations below are written from POLICY.md, independently of the policy file.
 */
class DecisionTableTest {
    private static final Policy POLICY = new Policy(PolicyDefinition.bundled());

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
    private static final Set<Category> DEPICTING_OR_LINKING = EnumSet.of(Category.VISUAL_DEPICTION, Category.GENERATED_DEPICTION,
            Category.CSAM_LINK);

    enum Confirmation { HASH_MATCH, VERDICT_MALICIOUS, VERDICT_NOT_STATED, VERDICT_NO_MALICE }

    enum History {
        ACTIVE_NO_STRIKE(AccountStatus.ACTIVE, false),
        ACTIVE_PRIOR_STRIKE(AccountStatus.ACTIVE, true),
        LOCKED_WITH_STRIKE(AccountStatus.LOCKED, true),
        SUSPENDED_NO_STRIKE(AccountStatus.SUSPENDED, false),
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
        AccountState state = account(history);
        Decision decision = decide(state, category, confirmation);

        boolean maliceFound = confirmation != Confirmation.VERDICT_NO_MALICE;
        String expectedRule;
        List<ActionType> expectedActions;
        if (history.status == AccountStatus.SUSPENDED) {
            expectedRule = Policy.ALREADY_SUSPENDED;
            expectedActions = List.of(ActionType.REMOVE_CONTENT);
        } else if (history.strike) {
            expectedRule = Policy.REPEAT_VIOLATION;
            expectedActions = List.of(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        } else if (maliceFound || NO_MALICE_NOT_ALLOWED.contains(category)) {
            expectedRule = maliceFound ? Policy.CONFIRMED_MALICIOUS : Policy.NO_MALICE_NOT_ALLOWED;
            expectedActions = List.of(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        } else {
            expectedRule = Policy.NO_MALICE_FIRST;
            expectedActions = DEPICTING_OR_LINKING.contains(category)
                    ? List.of(ActionType.REQUIRE_REMOVAL, ActionType.TEMPORARY_LOCK, ActionType.REMOVE_CONTENT)
                    : List.of(ActionType.REQUIRE_REMOVAL, ActionType.TEMPORARY_LOCK);
        }
        assertThat(decision.getRuleId()).isEqualTo(expectedRule);
        assertThat(decision.getActions()).extracting(a -> a.getType()).containsExactlyElementsOf(expectedActions);
        assertThat(decision.getActions()).filteredOn(a -> a.getType() == ActionType.REMOVE_CONTENT)
                .allSatisfy(a -> assertThat(a.getNotifyUser()).as("removal without notice").isFalse());
        assertThat(decision.getPolicyVersion()).isEqualTo(POLICY.version());
        assertThat(decision.getReason()).isNotBlank();

        List<Referral> ncmec = decision.getReferrals().stream().filter(r -> r.getTarget() == ReferralTarget.NCMEC).toList();
        if (NCMEC.containsKey(category)) {
            assertThat(ncmec).hasSize(1);
            assertThat(ncmec.get(0).getIncidentType()).isEqualTo(NCMEC.get(category));
            assertThat(ncmec.get(0).getPotentialMeme()).isEqualTo(expectedRule.equals(Policy.NO_MALICE_FIRST));
        } else {
            assertThat(ncmec).isEmpty();
        }
        assertThat(decision.getReferrals()).filteredOn(r -> r.getTarget() == ReferralTarget.INHOPE)
                .extracting(Referral::getHostingCountry)
                .containsExactlyElementsOf(category == Category.CSAM_LINK ? List.of("DE") : List.of());
        if (category == Category.SEXTORTION) {
            assertThat(ncmec.get(0).getReportAnnotations()).containsExactly("sextortion");
            assertThat(ncmec.get(0).getEscalateToHighPriority()).isNotBlank();
        }
        if (category == Category.SOLICITATION) {
            assertThat(ncmec.get(0).getReportAnnotations()).containsExactly("csamSolicitation");
        }
        if (category == Category.GENERATED_DEPICTION) {
            assertThat(ncmec.get(0).getFileAnnotations()).contains("generativeAi");
        }
    }

    @ParameterizedTest
    @EnumSource(Category.class)
    void exemptionsAreRefusedOnDepictingOrLinkingContentAndCloseOtherIncidents(Category category) {
        AccountState state = POLICY.onReport(null, Fixtures.userReport("r1", "a", "post", category), T0).state();
        var evaluation = POLICY.onVerdict(state, Fixtures.exemption("v1", "a", "r1", category, Exemption.DISCUSSION), T0);

        if (DEPICTING_OR_LINKING.contains(category)) {
            assertThat(evaluation.rejection().reason()).isEqualTo("INVALID_EXEMPTION");
        } else {
            assertThat(evaluation.rejection()).isNull();
            Decision decision = (Decision) evaluation.outputs().get(0);
            assertThat(decision.getRuleId()).isEqualTo(Policy.NOT_A_VIOLATION);
            assertThat(decision.getActions()).isEmpty();
        }
    }

    private static Decision decide(AccountState state, Category category, Confirmation confirmation) {
        var report = Fixtures.urlMatch("r1", "acct", "post-1", "http://host.invalid/x", "DE");
        Policy.Evaluation evaluation;
        if (confirmation == Confirmation.HASH_MATCH) {
            evaluation = POLICY.onReport(state, org.cse.events.Report.newBuilder(report).setClaimedCategory(category).build(), T0);
        } else {
            var unconfirmed = org.cse.events.Report.newBuilder(report)
                    .setReporter(org.cse.events.Reporter.newBuilder().setKind(org.cse.events.ReporterKind.TRUSTED_FLAGGER)
                            .setReporterId("hotline").build()).build();
            AccountState underReview = POLICY.onReport(state, unconfirmed, T0).state();
            Intent intent = switch (confirmation) {
                case VERDICT_MALICIOUS -> Intent.MALICIOUS;
                case VERDICT_NOT_STATED -> Intent.NOT_STATED;
                default -> Intent.NO_MALICIOUS_INTENT;
            };
            evaluation = POLICY.onVerdict(underReview, Fixtures.violation("v1", "acct", "r1", category, intent), T0);
        }
        assertThat(evaluation.rejection()).isNull();
        List<Decision> decisions = evaluation.outputs().stream().filter(Decision.class::isInstance).map(Decision.class::cast).toList();
        assertThat(decisions).hasSize(1);
        return decisions.get(0);
    }

    private static AccountState account(History history) {
        AccountState state = Policy.newAccount("acct");
        state.setStatus(history.status);
        if (history.strike) {
            state.setStrikes(List.of(new Strike("dec-earlier", Category.SEXUALIZED_COMMENTARY, T0.minusSeconds(86_400), List.of())));
            state.setRecentDecisionIds(List.of("dec-earlier"));
        }
        return state;
    }
}
