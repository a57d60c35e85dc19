package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.cse.classifier.state.AccountState;
import org.cse.events.ActionType;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Report;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What reaches the classifier without intake's checks: it refuses with the original bytes, bounds what it keeps, and keeps deciding. */
class HostileInputTopologyTest {
    private ClassifierDriver driver;
    private TestInputTopic<byte[], byte[]> rawReports;

    @BeforeEach
    void start() {
        driver = new ClassifierDriver(null);
        rawReports = driver.driver.createInputTopic(Topics.REPORTS.name(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void unreadableRecordsAreDeadLetteredAsTheBytesThatArrived() {
        byte[] valid = Topics.REPORTS.valueSerde(driver.registry).serializer().serialize(Topics.REPORTS.name(),
                Fixtures.hashMatch("r1", "acct-1", "post-1"));
        byte[] trailing = Arrays.copyOf(valid, valid.length + 500_000);
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);

        rawReports.pipeInput(key("acct-1"), trailing);
        rawReports.pipeInput(key("acct-1"), garbage);
        rawReports.pipeInput(key(".."), valid);
        rawReports.pipeInput(key("acct-2"), valid);
        rawReports.pipeInput((byte[]) null, valid);

        List<TestRecord<byte[], byte[]>> dead = driver.deadLetters.readRecordsToList();
        assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("DESERIALIZATION", "DESERIALIZATION", "INVALID_FIELD", "KEY_MISMATCH", "NULL_KEY");
        assertThat(dead.get(0).value()).as("the original bytes, not a re-encoding").isEqualTo(trailing);
        assertThat(dead.get(1).value()).isEqualTo(garbage);
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(driver.decisions.isEmpty()).isTrue();
    }

    @Test
    void aRetriedReportIsTakenOnceAndAReusedIdWithOtherContentIsRefused() {
        Report report = Fixtures.hashMatch("r1", "acct-3", "post-1");
        driver.reports.pipeInput("acct-3", report);
        driver.reports.pipeInput("acct-3", Report.newBuilder(report).setReceivedAt(report.getReceivedAt().plusSeconds(30)).build());
        driver.reports.pipeInput("acct-3", Report.newBuilder(report).setClaimedCategory(Category.SEXTORTION).build());

        assertThat(driver.decisions.readValuesToList()).hasSize(1);
        assertThat(driver.deadLetters.readRecordsToList()).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("REPORT_ID_CONFLICT");
        assertThat(driver.meters.counter("cse_classifier_duplicate_inputs", "input", "report").count()).isEqualTo(1.0);
    }

    @Test
    void aReportOverTheItemLimitsIsCutNotDropped() {
        List<ContentRef> content = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            List<ContentHash> hashes = new ArrayList<>();
            for (int h = 0; h < 50; h++) {
                hashes.add(new ContentHash("SHA256", "%064x".formatted(i * 1000L + h)));
            }
            content.add(ContentRef.newBuilder().setContentId("media-" + i).setKind(ContentKind.MEDIA).setHashes(hashes).build());
        }
        Report huge = Report.newBuilder(Fixtures.hashMatch("r-huge", "acct-4", "x")).setContent(content).build();

        driver.reports.pipeInput("acct-4", huge);

        Decision decision = driver.decisions.readValue();
        assertThat(decision.getActions()).extracting(a -> a.getType()).contains(ActionType.SUSPEND_PERMANENTLY);
        assertThat(decision.getContent()).hasSize(50).allSatisfy(c -> assertThat(c.getHashes()).hasSize(4));
        assertThat(driver.meters.counter("cse_classifier_trimmed_items", "what", "input").count()).isEqualTo(350 + 50 * 46);
    }

    @Test
    void aFloodOfLargeReportsForOneAccountKeepsItsHistoryInBudgetAndALaterConfirmationIsStillDecided() {
        String account = "acct-flood";
        for (int i = 0; i < 120; i++) {
            driver.reports.pipeInput(account, bigUserReport("flood-" + i, account, i));
        }
        assertEntriesWithinBudget(account);
        assertThat(driver.meters.counter("cse_classifier_trimmed_items", "what", "state").count()).isPositive();

        driver.reports.pipeInput(account, Fixtures.hashMatch("confirmed", account, "new-post"));
        driver.reports.pipeInput("acct-other", Fixtures.hashMatch("other", "acct-other", "post-1"));

        List<Decision> decisions = driver.decisions.readValuesToList();
        assertThat(decisions).extracting(Decision::getAccountId).containsExactly(account, "acct-other");
        assertThat(decisions.get(0).getRuleId()).isEqualTo(RuleId.CONFIRMED_MALICIOUS.id());
        assertThat(driver.deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aDecisionAtEveryLimitStaysFarBelowTheRecordLimit() {
        String account = "a".repeat(128);
        // the first report opens the incident with everything at its limit; 999 more attach with 128-character ids
        driver.reports.pipeInput(account, Report.newBuilder(bigUserReport("r".repeat(120) + "-first", account, 0))
                .setAccountId(account).build());
        for (int i = 1; i < 1000; i++) {
            driver.reports.pipeInput(account, Report.newBuilder(Fixtures.userReport("%0128d".formatted(i), account, "c-0-0", null))
                    .setAccountId(account).build());
        }
        driver.verdicts.pipeInput(account, Fixtures.violation("v", account, "%0128d".formatted(5), Category.SEXTORTION,
                org.cse.events.Intent.MALICIOUS));

        Decision decision = driver.decisions.readValue();
        assertThat(decision.getReportIds()).hasSize(1000);
        int size = StateBudget.size(decision);
        System.out.printf("largest decision: %d bytes encoded (the topic takes %d)%n", size, Topics.MAX_MESSAGE_BYTES);
        assertThat(size).isLessThan(Topics.MAX_MESSAGE_BYTES / 2);
        assertEntriesWithinBudget(account);
    }

    private void assertEntriesWithinBudget(String account) {
        for (String store : SplitHistory.Stores.LIVE.names()) {
            Map<String, Integer> sizes = driver.entrySizes(store, account);
            System.out.printf("%s: %d entries of account %s, largest %d bytes%n", store, sizes.size(), account.substring(0, 8),
                    sizes.values().stream().mapToInt(Integer::intValue).max().orElse(0));
            assertThat(sizes.values()).as(store).allMatch(size -> size <= StateBudget.MAX_STATE_BYTES);
        }
        assertThat(driver.entrySizes(SplitHistory.Stores.LIVE.summaries(), account)).hasSize(1);
        // the account's incidents together, as a whole history was
        assertThat(driver.entrySizes(SplitHistory.Stores.LIVE.incidents(), account).values().stream().mapToInt(Integer::intValue).sum())
                .isLessThanOrEqualTo(StateBudget.MAX_STATE_BYTES);
    }

    /** An unconfirmed report at the item limits: 50 items with long URLs and 4 hashes each, 50 third-party URLs. */
    static Report bigUserReport(String reportId, String account, int n) {
        List<ContentRef> content = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            List<ContentHash> hashes = new ArrayList<>();
            for (int h = 0; h < 4; h++) {
                hashes.add(new ContentHash("SHA256", "%064x".formatted(n * 10_000L + i * 10L + h)));
            }
            content.add(ContentRef.newBuilder().setContentId("c-" + n + "-" + i).setKind(ContentKind.MEDIA)
                    .setUrl("https://platform.invalid/m/" + "x".repeat(1900) + "/" + n + "/" + i).setHashes(hashes).build());
        }
        List<org.cse.events.ThirdPartyUrl> urls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            urls.add(org.cse.events.ThirdPartyUrl.newBuilder().setUrl("http://host.invalid/" + "y".repeat(1900) + "/" + n + "/" + i)
                    .setHostingCountry("NL").build());
        }
        return Report.newBuilder(Fixtures.userReport(reportId, account, "unused", Category.SEXUALIZED_COMMENTARY))
                .setContent(content).setThirdPartyUrls(urls).build();
    }

    private static byte[] key(String account) {
        return account.getBytes(StandardCharsets.UTF_8);
    }
}
