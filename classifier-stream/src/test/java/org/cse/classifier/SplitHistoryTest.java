package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.streams.KeyValue;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.Incident;
import org.cse.classifier.state.ReportSeen;
import org.cse.events.AccountEvent;
import org.cse.events.Appeal;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.Intent;
import org.cse.events.Report;
import org.cse.events.Verdict;
import org.cse.schemas.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The split history changes where an account's history is kept, never what the policy decides: random
 * sequences of every input kind (seeded) go through the policy twice — once against the whole history in
 * one value (the layout every decision-table test uses), once against {@link SplitHistory} over in-memory
 * stores — and every answer (outputs, refusal and its reason, retry) must be the same, and the split
 * history read back whole must hold the same incidents, status, strikes and report ids. Some runs start the
 * split history from an entry in the single-entry layout partway through: the migration must not change an
 * answer either.
 */
class SplitHistoryTest {
    private static final Policy WHOLE = new Policy(PolicyDefinition.bundled());
    private static final Policy SPLIT = WHOLE.forSplitHistory();
    private static final Category[] CATEGORIES = Category.values();
    private static final AccountStateSerde SERDE = new AccountStateSerde(new InMemorySchemaRegistry());

    /** In-memory stores: one map per store. */
    private static final class Memory {
        final Map<String, Map<String, byte[]>> stores = new HashMap<>();

        SplitHistory history() {
            return new SplitHistory(SERDE, entries("summaries"), entries("incidents"), entries("reports"), entries("index"), true);
        }

        Map<String, byte[]> store(String name) {
            return stores.computeIfAbsent(name, n -> new HashMap<>());
        }

        SplitHistory.Entries entries(String name) {
            Map<String, byte[]> map = store(name);
            return new SplitHistory.Entries() {
                @Override
                public byte[] get(String key) {
                    return map.get(key);
                }

                @Override
                public List<KeyValue<String, byte[]>> range(String from, String to, int limit) {
                    return map.entrySet().stream().filter(e -> e.getKey().compareTo(from) >= 0 && e.getKey().compareTo(to) <= 0)
                            .sorted(Map.Entry.comparingByKey()).limit(limit).map(e -> KeyValue.pair(e.getKey(), e.getValue())).toList();
                }

                @Override
                public void put(String key, byte[] value) {
                    map.put(key, value);
                }

                @Override
                public void delete(String key) {
                    map.remove(key);
                }
            };
        }
    }

    /**
     * The bound reads the first entries of a range in widening windows of positions; it must find what one
     * read of the whole range finds: entries on both sides of every window edge, sparse and dense ranges,
     * empty and inverted ones, and a range reaching the largest position (where a doubling width overflows).
     */
    @Test
    void windowedReadsFindWhatOneRangeFinds() {
        Memory memory = new Memory();
        Map<String, byte[]> map = memory.store("index");
        SplitHistory.Entries index = memory.entries("index");
        java.util.function.LongFunction<String> key = position -> "a/d/" + "%019d".formatted(position);
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            map.clear();
            int limit = random.nextInt(6);
            long floor = 1 + random.nextInt(200);
            long width = Math.max(8, 2L * limit);
            long end = floor - 2 + random.nextInt(400);
            // around the first window edges, and elsewhere at random
            for (long edge : new long[] {floor + width - 1, floor + width, floor + 3 * width - 1, floor + 3 * width}) {
                if (random.nextBoolean()) {
                    map.put(key.apply(edge), new byte[] {1});
                }
            }
            int others = random.nextInt(5) == 0 ? 300 : random.nextInt(4);
            for (int i = 0; i < others; i++) {
                map.put(key.apply(1 + random.nextInt(600)), new byte[] {2});
            }
            List<String> expected = index.range(key.apply(floor), key.apply(end), limit).stream().map(e -> e.key).toList();
            assertThat(SplitHistory.first(index, key, floor, end, limit).stream().map(e -> e.key).toList())
                    .as("floor %d, end %d, limit %d, %s", floor, end, limit, map.keySet()).isEqualTo(expected);
        }
        map.clear();
        map.put(key.apply(Long.MAX_VALUE - 1), new byte[] {3});
        assertThat(SplitHistory.first(index, key, 1, Long.MAX_VALUE, 1)).hasSize(1);
        assertThat(SplitHistory.first(index, key, 1, Long.MAX_VALUE, 2)).hasSize(1);
    }

    @ParameterizedTest(name = "seed {0}, {1} distinct contents, single-entry layout until step {2}")
    @CsvSource({"1, 20, 0", "2, 20, 700", "3, 400, 0", "4, 400, 900", "5, 60, 0", "6, 60, 1200", "7, 3000, 0", "8, 3000, 600"})
    void thePolicyAnswersTheSameAgainstTheSplitHistory(long seed, int contents, int migrateAt) {
        Random random = new Random(seed);
        Twin twin = new Twin("acct-" + seed);
        String account = twin.account;
        List<String> reportIds = new ArrayList<>();
        List<String> incidentIds = new ArrayList<>();
        List<String> decisionIds = new ArrayList<>();
        Map<String, Report> reports = new HashMap<>();
        int taken = 0;
        for (int step = 0; step < 1500; step++) {
            if (step == migrateAt && twin.whole != null) {
                // as an earlier release left it: the whole history in the summary store, nothing else
                twin.memory.stores.clear();
                twin.memory.store("summaries").put(account, SERDE.serializer().serialize("t", twin.whole));
            }
            Instant now = T0.plusSeconds(step * 60L);
            Object input = next(random, account, step, contents, reportIds, incidentIds, decisionIds, reports);
            Policy.Evaluation expected = twin.take(input, now);
            if (expected.rejection() == null && !expected.duplicate()) {
                taken++;
                if (expected.incidentId() != null && !incidentIds.contains(expected.incidentId())) {
                    incidentIds.add(expected.incidentId());
                }
                expected.outputs().stream().filter(Decision.class::isInstance).map(Decision.class::cast)
                        .forEach(decision -> decisionIds.add(decision.getDecisionId()));
            }
            if (step % 250 == 249) {
                assertSameHistory("seed " + seed + " step " + step, twin.split.full(account), twin.whole);
            }
        }
        assertThat(taken).as("inputs taken").isGreaterThan(700);
        assertThat(decisionIds).as("decisions").hasSizeGreaterThan(20);
        if (contents >= 3000) {
            assertThat(twin.whole.getIncidents()).as("incidents kept: the bound was reached").hasSizeGreaterThanOrEqualTo(Policy.MAX_INCIDENTS);
        }
    }

    /** One account through both layouts: every answer compared. */
    private static final class Twin {
        final String account;
        final Memory memory = new Memory();
        final SplitHistory split = memory.history();
        AccountState whole;

        Twin(String account) {
            this.account = account;
        }

        Policy.Evaluation take(Object input, Instant now) {
            Policy.Evaluation expected = evaluate(WHOLE, whole, input, now);
            SplitHistory.Loaded loaded = load(split, account, input);
            Policy.Evaluation actual = evaluate(SPLIT, loaded.partial(), input, now);
            String where = input.getClass().getSimpleName() + " at " + now;
            assertThat(actual.rejection()).as(where).isEqualTo(expected.rejection());
            assertThat(actual.duplicate()).as(where).isEqualTo(expected.duplicate());
            assertThat(actual.outputs()).as(where).isEqualTo(expected.outputs());
            if (expected.rejection() == null && !expected.duplicate()) {
                whole = expected.state();
                split.write(account, loaded, actual);
            }
            return expected;
        }
    }

    @org.junit.jupiter.api.Test
    void anIncidentDecidedByAVerdictPastTheBoundStaysUntilTheNextReportAsInAWholeHistory() {
        Twin twin = new Twin("acct-busy");
        for (int i = 0; i < Policy.MAX_INCIDENTS + 5; i++) {
            twin.take(Fixtures.userReport("r" + i, twin.account, "post-" + i, Category.SEXUALIZED_COMMENTARY), T0.plusSeconds(i));
        }
        Decision decision = (Decision) twin.take(Fixtures.violation("v", twin.account, "r3", Category.VISUAL_DEPICTION,
                Intent.NO_MALICIOUS_INTENT), T0.plusSeconds(300)).outputs().get(0);
        // before any report: the decided incident is still there for an appeal, a second verdict and its content
        twin.take(Fixtures.appeal("ap", twin.account, decision.getDecisionId(), AppealStatus.FILED), T0.plusSeconds(301));
        twin.take(Fixtures.violation("v2", twin.account, "r3", Category.VISUAL_DEPICTION, Intent.MALICIOUS), T0.plusSeconds(302));
        Policy.Evaluation match = twin.take(Fixtures.hashMatch("m", twin.account, "post-3"), T0.plusSeconds(303));
        assertThat(match.outputs()).as("attaches to the decided incident: no second decision").isEmpty();
        // that report bounded the incidents: the decided one went, as in the whole history
        assertSameHistory("after the report", twin.split.full(twin.account), twin.whole);
        assertThat(twin.whole.getIncidents()).extracting(Incident::getIncidentId).doesNotContain(decision.getIncidentId());
    }

    @org.junit.jupiter.api.Test
    void anOldHistoryHoldingOneIncidentIdTwiceKeepsTheLaterOneWithNothingLeftOfTheEarlier() {
        // incident ids were account + content key before they named the opening report: one content reported
        // again outside the incident window gave a second incident of the same id
        AccountState first = WHOLE.onReport(null, Fixtures.userReport("r1", "acct-old", "post-1", Category.SEXTORTION), T0).state();
        Incident earlier = Incident.newBuilder(first.getIncidents().get(0)).setIncidentId("inc-same").build();
        Incident later = Incident.newBuilder(earlier).setContentKeys(List.of("content:post-2")).setReportIds(List.of("r2")).build();
        AccountState legacy = AccountState.newBuilder(first).setIncidents(List.of(earlier, later)).build();
        Memory memory = new Memory();
        memory.store("summaries").put("acct-old", SERDE.serializer().serialize("t", legacy));
        SplitHistory split = memory.history();

        Report report = Fixtures.userReport("r3", "acct-old", "post-2", Category.SEXTORTION);
        SplitHistory.Loaded loaded = split.forReport("acct-old", report);
        assertThat(loaded.partial().getIncidents()).extracting(Incident::getReportIds).containsExactly(List.of("r2"));
        split.write("acct-old", loaded, SPLIT.onReport(loaded.partial(), report, T0.plusSeconds(5)));

        AccountState history = split.full("acct-old");
        assertThat(history.getIncidents()).extracting(Incident::getReportIds).containsExactly(List.of("r2", "r3"));
        assertThat(memory.store("index").keySet()).filteredOn(key -> key.contains("/o/")).hasSize(1);
        assertThat(memory.store("index").keySet()).filteredOn(key -> key.contains("/k/")).containsExactly("acct-old/k/content:post-2");
        assertThat(new String(memory.store("index").get("acct-old/n"))).startsWith("3 1 0 ");
    }

    @org.junit.jupiter.api.Test
    void reportsAttachingAfterTheDecisionAreCountedAndNamedByTheirOwnEntriesNotListedInTheIncident() {
        String account = "acct-viral";
        AccountState state = WHOLE.onReport(null, Fixtures.hashMatch("first", account, "post-1"), T0).state();
        for (int i = 0; i < 3; i++) {
            Policy.Evaluation later = WHOLE.onReport(state, Fixtures.hashMatch("later-" + i, account, "post-1"), T0.plusSeconds(i + 1));
            assertThat(later.outputs()).as("no second decision").isEmpty();
            state = later.state();
        }
        Incident incident = state.getIncidents().get(0);
        assertThat(incident.getReportIds()).containsExactly("first");
        assertThat(incident.getReportCount()).isEqualTo(4);
        assertThat(incident.getAttachedAfterDecision()).isEqualTo(3);
        assertThat(state.getRecentReports()).extracting(ReportSeen::getIncidentId).containsOnly(incident.getIncidentId());
        // a verdict naming a later report finds the incident through the report's entry
        Policy.Evaluation verdict = WHOLE.onVerdict(state, Fixtures.violation("v", account, "later-1", Category.VISUAL_DEPICTION,
                Intent.MALICIOUS), T0.plusSeconds(10));
        assertThat(verdict.rejection().reason()).isEqualTo(org.cse.schemas.DeadLetterReason.INCIDENT_ALREADY_DECIDED);
    }

    @org.junit.jupiter.api.Test
    void anAccountKeepsAtMostAThousandOpenIncidentsAndCountsTheOnesDropped() {
        SplitHistory split = new Memory().history();
        String account = "acct-many";
        int trimmed = 0;
        for (int i = 0; i < 1100; i++) {
            Report report = Fixtures.userReport("r" + i, account, "post-" + i, Category.SEXUALIZED_COMMENTARY);
            SplitHistory.Loaded loaded = split.forReport(account, report);
            Policy.Evaluation evaluation = SPLIT.onReport(loaded.partial(), report, T0.plusSeconds(i));
            assertThat(evaluation.outputs()).as("report %d opens an incident", i).hasSize(1);
            trimmed += split.write(account, loaded, evaluation);
        }
        AccountState history = split.full(account);
        assertThat(history.getIncidents()).hasSize(SplitHistory.MAX_OPEN_INCIDENTS);
        assertThat(history.getIncidents().get(0).getReportIds()).containsExactly("r100");
        assertThat(history.getIncidents().get(999).getReportIds()).containsExactly("r1099");
        assertThat(history.getTrimmedIncidents()).isEqualTo(100);
        assertThat(trimmed).isEqualTo(100);
        // a report about the content of a dropped incident opens a new one; one about a kept incident attaches
        Report late = Fixtures.userReport("late", account, "post-5", Category.SEXUALIZED_COMMENTARY);
        assertThat(SPLIT.onReport(split.forReport(account, late).partial(), late, T0.plusSeconds(2000)).outputs()).hasSize(1);
        Report kept = Fixtures.userReport("kept", account, "post-500", Category.SEXUALIZED_COMMENTARY);
        assertThat(SPLIT.onReport(split.forReport(account, kept).partial(), kept, T0.plusSeconds(2000)).outputs()).isEmpty();
    }

    private static void assertSameHistory(String where, AccountState split, AccountState whole) {
        assertThat(split.getStatus()).as(where).isEqualTo(whole.getStatus());
        assertThat(split.getStrikes()).as(where).isEqualTo(whole.getStrikes());
        assertThat(split.getEarlierStrikes()).as(where).isEqualTo(whole.getEarlierStrikes());
        assertThat(split.getIdentifiers()).as(where).isEqualTo(whole.getIdentifiers());
        assertThat(split.getRecentDecisionIds()).as(where).isEqualTo(whole.getRecentDecisionIds());
        assertThat(split.getIncidents().stream().map(i -> i.getIncidentId() + " " + i.getState()).toList()).as(where)
                .isEqualTo(whole.getIncidents().stream().map(i -> i.getIncidentId() + " " + i.getState()).toList());
        // positions are the split layout's own (0 in a whole history)
        assertThat(split.getIncidents().stream().map(i -> Incident.newBuilder(i).setPosition(0).build()).toList()).as(where)
                .isEqualTo(whole.getIncidents());
        assertThat(split.getRecentReports().stream().map(SplitHistoryTest::seen).toList()).as(where)
                .isEqualTo(whole.getRecentReports().stream().map(SplitHistoryTest::seen).toList());
    }

    private static String seen(ReportSeen seen) {
        return seen.getReportId() + " " + seen.getFingerprint();
    }

    private static Policy.Evaluation evaluate(Policy policy, AccountState state, Object input, Instant now) {
        if (input instanceof Report report) {
            return policy.onReport(state, report, now);
        }
        if (input instanceof Verdict verdict) {
            return policy.onVerdict(state, verdict, now);
        }
        if (input instanceof Appeal appeal) {
            return policy.onAppeal(state, appeal, now);
        }
        return policy.onAccountEvent(state, (AccountEvent) input, now, identifier -> identifier.getHash().equals("h3"));
    }

    private static SplitHistory.Loaded load(SplitHistory history, String account, Object input) {
        if (input instanceof Report report) {
            return history.forReport(account, report);
        }
        if (input instanceof Verdict verdict) {
            return history.forVerdict(account, verdict);
        }
        if (input instanceof Appeal) {
            return history.forAppeal(account);
        }
        return history.forAccountEvent(account);
    }

    /** Reports (new, repeated as a retry, or reusing an id with other content), verdicts (naming the incident or not), appeals, account events. */
    private static Object next(Random random, String account, int step, int contents, List<String> reportIds, List<String> incidentIds,
                               List<String> decisionIds, Map<String, Report> reports) {
        String id = "s" + step;
        Category category = CATEGORIES[random.nextInt(CATEGORIES.length)];
        int roll = random.nextInt(20);
        if (roll < 2 && !reportIds.isEmpty()) {
            // a retry of a recent report, or of one long gone from the retry window
            String reportId = reportIds.get(random.nextBoolean() ? reportIds.size() - 1 - random.nextInt(Math.min(20, reportIds.size()))
                    : random.nextInt(reportIds.size()));
            return roll == 0 ? reports.get(reportId) : Fixtures.userReport(reportId, account, "other-" + step, category);
        }
        if (roll < 11 || reportIds.isEmpty()) {
            String content = "c" + random.nextInt(contents);
            Report report = switch (random.nextInt(5)) {
                case 0 -> Fixtures.hashMatch(id, account, content);
                case 1 -> Fixtures.urlMatch(id, account, content, "https://elsewhere.invalid/" + content, "NL");
                case 2 -> Fixtures.classifierReport(id, account, content, random.nextDouble());
                default -> Fixtures.userReport(id, account, content, category);
            };
            reportIds.add(id);
            reports.put(id, report);
            return report;
        }
        if (roll < 16) {
            String reportId = reportIds.get(random.nextInt(reportIds.size()));
            Verdict verdict = random.nextBoolean()
                    ? Fixtures.violation(id, account, reportId, category, Intent.values()[random.nextInt(Intent.values().length)])
                    : Fixtures.exemption(id, account, reportId, category, Exemption.values()[random.nextInt(Exemption.values().length)]);
            if (random.nextBoolean() && !incidentIds.isEmpty()) {
                // the review tool names the incident (sometimes another than the report's)
                verdict = Verdict.newBuilder(verdict).setIncidentId(incidentIds.get(random.nextInt(incidentIds.size()))).build();
            }
            return verdict;
        }
        if (roll < 18 && !decisionIds.isEmpty()) {
            String decisionId = decisionIds.get(random.nextInt(decisionIds.size()));
            return Fixtures.appeal(id, account, decisionId, AppealStatus.values()[random.nextInt(AppealStatus.values().length)]);
        }
        return random.nextBoolean() ? Fixtures.created(id, account, "h" + random.nextInt(5)) : Fixtures.priorStrike(id, account, category);
    }
}
