package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.util.ArrayList;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.cse.events.ActionType;
import org.cse.events.Appeal;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.Intent;
import org.cse.events.Report;
import org.cse.events.Verdict;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property test: random interleavings of reports, verdicts and appeals for a few accounts (seeded,
 * so a failure names its seed and replays exactly), through the classifier topology, its history
 * store and its dead-letter path. Invariants: one decision per incident; never a permanent suspension
 * of an account already suspended; never a lock when the account has an earlier confirmed violation
 * on record; a reinstatement only in answer to an overturned appeal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyInvariantsTest {
    private static final String[] ACCOUNTS = {"a1", "a2", "a3"};
    private ClassifierDriver topology;

    @BeforeAll
    void start() {
        topology = new ClassifierDriver(null);
    }

    @AfterAll
    void stop() {
        topology.close();
    }

    static List<Long> seeds() {
        List<Long> seeds = new ArrayList<>();
        for (long seed = 1; seed <= 300; seed++) {
            seeds.add(seed);
        }
        return seeds;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void invariantsHoldForEveryInterleaving(long seed) {
        Random random = new Random(seed);
        String run = "s" + seed + "-";
        Map<String, List<String>> reportIds = new HashMap<>();
        Map<String, List<String>> decisionIds = new HashMap<>();
        Set<String> decidedIncidents = new HashSet<>();
        Map<String, Boolean> suspended = new HashMap<>();
        Map<String, Set<String>> strikes = new HashMap<>();
        Set<String> overturnedAppeals = new HashSet<>();
        Category[] categories = Category.values();

        for (int step = 0; step < 80; step++) {
            String account = run + ACCOUNTS[random.nextInt(ACCOUNTS.length)];
            String content = "post-" + random.nextInt(4);
            Category category = categories[random.nextInt(categories.length)];
            Instant at = T0.plusSeconds(step);
            String what;
            int kind = random.nextInt(10);
            if (kind < 5 || reportIds.getOrDefault(account, List.of()).isEmpty()) {
                String reportId = run + "r" + step;
                Report report = random.nextInt(3) == 0 ? Fixtures.hashMatch(reportId, account, content, category)
                        : Fixtures.userReport(reportId, account, content, category);
                reportIds.computeIfAbsent(account, k -> new ArrayList<>()).add(reportId);
                topology.reports.pipeInput(account, report, at);
                what = "report " + reportId;
            } else if (kind < 8 || decisionIds.getOrDefault(account, List.of()).isEmpty()) {
                List<String> known = reportIds.get(account);
                String reportId = known.get(random.nextInt(known.size()));
                Verdict verdict = random.nextBoolean()
                        ? Fixtures.violation(run + "v" + step, account, reportId, category, Intent.values()[random.nextInt(3)])
                        : Fixtures.exemption(run + "v" + step, account, reportId, category, Exemption.values()[random.nextInt(4)]);
                topology.verdicts.pipeInput(account, verdict, at);
                what = "verdict on " + reportId;
            } else {
                List<String> known = decisionIds.get(account);
                String decisionId = known.get(random.nextInt(known.size()));
                AppealStatus status = AppealStatus.values()[random.nextInt(3)];
                String appealId = run + "ap" + step;
                Appeal appeal = Fixtures.appeal(appealId, account, decisionId, status);
                topology.appeals.pipeInput(account, appeal, at);
                if (status == AppealStatus.OVERTURNED && topology.deadLetters.isEmpty()) {
                    overturnedAppeals.add(appealId);
                }
                what = "appeal " + status + " of " + decisionId;
            }
            if (!topology.deadLetters.isEmpty()) {
                topology.deadLetters.readRecordsToList(); // refused, with its reason: nothing decided
                assertThat(topology.decisions.isEmpty()).as("seed " + seed + " step " + step + ": decided on a refused input").isTrue();
                continue;
            }
            topology.reviews.readRecordsToList();
            for (Decision decision : topology.decisions.readValuesToList()) {
                String context = "seed " + seed + " step " + step + " (" + what + "): " + decision.getRuleId();
                decisionIds.computeIfAbsent(account, k -> new ArrayList<>()).add(decision.getDecisionId());
                boolean appealDecision = decision.getRuleId().startsWith("appeal-");
                if (!appealDecision) {
                    assertThat(decidedIncidents.add(decision.getIncidentId())).as(context + ": second decision for an incident").isTrue();
                }
                List<ActionType> actions = decision.getActions().stream().map(a -> a.getType()).toList();
                Set<String> accountStrikes = strikes.computeIfAbsent(account, k -> new HashSet<>());
                if (actions.contains(ActionType.SUSPEND_PERMANENTLY)) {
                    assertThat(suspended.getOrDefault(account, false)).as(context + ": suspended twice").isFalse();
                    suspended.put(account, true);
                }
                if (actions.contains(ActionType.TEMPORARY_LOCK)) {
                    assertThat(accountStrikes).as(context + ": lock despite an earlier confirmed violation").isEmpty();
                }
                if (actions.contains(ActionType.REINSTATE_ACCOUNT)) {
                    assertThat(decision.getRuleId()).as(context).isEqualTo(RuleId.APPEAL_OVERTURNED.id());
                    assertThat(overturnedAppeals).as(context + ": reinstated without an overturned appeal")
                            .anyMatch(appealId -> decision.getDecisionId().equals(Ids.appealDecision(appealId)));
                    suspended.put(account, false);
                    accountStrikes.removeIf(strike -> decision.getReason().contains(strike));
                }
                boolean confirmedViolation = !appealDecision && !decision.getRuleId().equals(RuleId.NOT_A_VIOLATION.id())
                        && !decision.getRuleId().equals(RuleId.BAN_EVASION.id());
                if (confirmedViolation) {
                    accountStrikes.add(decision.getDecisionId());
                }
            }
        }
    }
}
