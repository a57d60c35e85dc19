package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cse.classifier.state.AccountState;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.Intent;
import org.cse.events.Report;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The policy shares the parts of the state it is given with the state it returns instead of deep
 * copying them (Policy.copy): that holds only while it never changes a part in place. Random sequences
 * of every input kind for one account (seeded); after each call the state given must equal a deep
 * snapshot taken before it, and the state returned must encode as it did when it was measured, to the bytes
 * Avro's own encoder writes (the serializer reuses the bytes of the strikes it wrote before).
 */
class PolicyPurityTest {
    private static final Policy POLICY = new Policy(PolicyDefinition.bundled());
    private static final Category[] CATEGORIES = Category.values();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void theStateGivenIsNeverChanged(long seed) {
        Random random = new Random(seed);
        String account = "acct-" + seed;
        AccountState state = null;
        List<String> reportIds = new ArrayList<>();
        List<String> decisionIds = new ArrayList<>();
        int changes = 0;
        for (int step = 0; step < 300; step++) {
            Instant now = T0.plusSeconds(step * 60L);
            AccountState snapshot = state == null ? null : AccountState.newBuilder(state).build();
            Policy.Evaluation evaluation = next(random, account, step, state, reportIds, decisionIds, now);
            assertThat(state).as("seed %d step %d: the state given", seed, step).isEqualTo(snapshot);
            if (evaluation.rejection() == null && !evaluation.duplicate()) {
                evaluation.outputs().stream().filter(Decision.class::isInstance).map(Decision.class::cast)
                        .forEach(decision -> decisionIds.add(decision.getDecisionId()));
                byte[] written = new AccountStateSerde(null).serializer().serialize("t", evaluation.state());
                assertThat(written).as("seed %d step %d: the bytes written, against Avro's own encoder", seed, step)
                        .isEqualTo(Fixtures.avroBytes(evaluation.state()));
                assertThat(new AccountStateSerde(null).deserializer().deserialize("t", written)).isEqualTo(evaluation.state());
                state = evaluation.state();
                changes++;
            }
        }
        assertThat(changes).as("inputs that changed the state").isGreaterThan(100);
        assertThat(decisionIds).as("decisions").isNotEmpty();
    }

    private static Policy.Evaluation next(Random random, String account, int step, AccountState state, List<String> reportIds,
                                          List<String> decisionIds, Instant now) {
        String id = "s" + step;
        Category category = CATEGORIES[random.nextInt(CATEGORIES.length)];
        int roll = random.nextInt(10);
        if (roll < 4 || reportIds.isEmpty()) {
            String content = "c" + random.nextInt(20); // repeats: reports attach to open incidents
            Report report = switch (random.nextInt(4)) {
                case 0 -> Fixtures.hashMatch(id, account, content);
                case 1 -> Fixtures.urlMatch(id, account, content, "https://elsewhere.invalid/" + content, "NL");
                case 2 -> Fixtures.classifierReport(id, account, content, random.nextDouble());
                default -> Fixtures.userReport(id, account, content, category);
            };
            reportIds.add(id);
            return POLICY.onReport(state, report, now);
        }
        if (roll < 7) {
            String reportId = reportIds.get(random.nextInt(reportIds.size()));
            return POLICY.onVerdict(state, random.nextBoolean()
                    ? Fixtures.violation(id, account, reportId, category, Intent.values()[random.nextInt(Intent.values().length)])
                    : Fixtures.exemption(id, account, reportId, category, Exemption.values()[random.nextInt(Exemption.values().length)]),
                    now);
        }
        if (roll < 9 && !decisionIds.isEmpty()) {
            String decisionId = decisionIds.get(random.nextInt(decisionIds.size()));
            return POLICY.onAppeal(state, Fixtures.appeal(id, account, decisionId,
                    AppealStatus.values()[random.nextInt(AppealStatus.values().length)]), now);
        }
        return POLICY.onAccountEvent(state, random.nextBoolean() ? Fixtures.created(id, account, "h" + random.nextInt(5))
                : Fixtures.priorStrike(id, account, category), now, identifier -> false);
    }
}
