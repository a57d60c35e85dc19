package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.cse.events.AccountEvent;
import org.cse.events.AccountEventType;
import org.cse.events.ActionType;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.Priority;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ReviewRequest;
import org.cse.events.ThirdPartyUrl;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClassifierTopologyTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private TopologyTestDriver driver;
    private TestInputTopic<String, Report> reports;
    private TestInputTopic<String, AccountEvent> accountEvents;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<String, ReviewRequest> reviews;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void setUp() throws Exception {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("classifier-ttd").toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(ClassifierTopology.buildTopology(registry, new Policy(0.9)), props, T0);
        reports = driver.createInputTopic(Topics.REPORTS.name(), Topics.REPORTS.keySerde().serializer(),
                Topics.REPORTS.valueSerde(registry).serializer());
        accountEvents = driver.createInputTopic(Topics.ACCOUNT_EVENTS.name(), Topics.ACCOUNT_EVENTS.keySerde().serializer(),
                Topics.ACCOUNT_EVENTS.valueSerde(registry).serializer());
        decisions = driver.createOutputTopic(Topics.DECISIONS.name(), Topics.DECISIONS.keySerde().deserializer(),
                Topics.DECISIONS.valueSerde(registry).deserializer());
        reviews = driver.createOutputTopic(Topics.REVIEW_REQUESTS.name(), Topics.REVIEW_REQUESTS.keySerde().deserializer(),
                Topics.REVIEW_REQUESTS.valueSerde(registry).deserializer());
        deadLetters = driver.createOutputTopic(Topics.CLASSIFIER_DLQ.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void verifiedHashMatchSuspendsRemovesBansAndRefersToNcmec() {
        // Given an account whose identifiers the platform published
        accountEvents.pipeInput("acct-1", AccountEvent.newBuilder().setEventId("e1").setAccountId("acct-1")
                .setType(AccountEventType.CREATED).setAt(T0)
                .setIdentifiers(List.of(new Identifier(IdentifierType.EMAIL, "h-email"))).build());
        // When a verified hash list matches its upload
        reports.pipeInput("acct-1", hashMatch("r1", "acct-1", "post-1"));

        // Then one decision: suspend, remove, ban; one NCMEC referral
        Decision decision = decisions.readValue();
        assertThat(decision.getRuleId()).isEqualTo("confirmed-malicious");
        assertThat(decision.getActions()).extracting(a -> a.getType())
                .containsExactly(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT, ActionType.BAN_IDENTIFIERS);
        assertThat(decision.getActions().get(1).getContentIds()).containsExactly("post-1");
        assertThat(decision.getActions().get(2).getIdentifierHashes()).extracting(Identifier::getHash).containsExactly("h-email");
        assertThat(decision.getReferrals()).extracting(Referral::getTarget).containsExactly(ReferralTarget.NCMEC);
        assertThat(decision.getReferrals().get(0).getIncidentType()).isEqualTo(CategoryRules.CHILD_PORNOGRAPHY);
        assertThat(decision.getPolicyVersion()).isEqualTo(Policy.VERSION);
        assertThat(decision.getKnowledgeAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(decision.getReportIds()).containsExactly("r1");
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(reviews.isEmpty()).isTrue();
    }

    @Test
    void unconfirmedReportsRequestReviewWithPriorityAndNoDecision() {
        reports.pipeInput("a", userReport("r1", "a", "p1", Category.SEXTORTION, null));
        reports.pipeInput("b", userReport("r2", "b", "p2", Category.SEXUALIZED_COMMENTARY, null));
        reports.pipeInput("c", userReport("r3", "c", "p3", null, 0.95));
        reports.pipeInput("d", userReport("r4", "d", "p4", null, 0.5));

        assertThat(reviews.readValuesToList()).extracting(ReviewRequest::getPriority)
                .containsExactly(Priority.HIGH, Priority.NORMAL, Priority.HIGH, Priority.NORMAL);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void manyReportsOfTheSameContentAreOneIncidentWithOneReviewRequest() {
        IntStream.range(0, 1000).forEach(i -> reports.pipeInput("acct-9", userReport("r" + i, "acct-9", "post-9", null, null)));

        List<ReviewRequest> requests = reviews.readValuesToList();
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).getRequestId()).startsWith("rev-");
    }

    @Test
    void confirmedMatchOnAnIncidentUnderReviewDecidesThatIncidentOnce() {
        reports.pipeInput("acct-2", userReport("r1", "acct-2", "post-2", Category.VISUAL_DEPICTION, null));
        reports.pipeInput("acct-2", hashMatch("r2", "acct-2", "post-2"));
        reports.pipeInput("acct-2", hashMatch("r3", "acct-2", "post-2"));

        List<Decision> all = decisions.readValuesToList();
        assertThat(all).hasSize(1);
        assertThat(all.get(0).getReportIds()).containsExactly("r1", "r2");
        assertThat(reviews.readValuesToList()).hasSize(1);
    }

    @Test
    void newContentOnAnAlreadySuspendedAccountIsRemovedAndReferredWithoutASecondSuspension() {
        reports.pipeInput("acct-3", hashMatch("r1", "acct-3", "post-a"));
        reports.pipeInput("acct-3", hashMatch("r2", "acct-3", "post-b"));

        List<Decision> all = decisions.readValuesToList();
        assertThat(all).hasSize(2);
        assertThat(all.get(1).getRuleId()).isEqualTo("already-suspended");
        assertThat(all.get(1).getActions()).extracting(a -> a.getType()).containsExactly(ActionType.REMOVE_CONTENT);
        assertThat(all.get(1).getReferrals()).extracting(Referral::getTarget).containsExactly(ReferralTarget.NCMEC);
        assertThat(all.get(0).getDecisionId()).isNotEqualTo(all.get(1).getDecisionId());
    }

    @Test
    void verifiedUrlMatchHostedAbroadAlsoRefersToThatCountrysHotline() {
        Report report = Report.newBuilder(hashMatch("r1", "acct-4", "post-4"))
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.URL_MATCH).setMatchList("iwf-urls").setMatchListVerified(true).build())
                .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl("http://host.invalid/a").setHostingCountry("NL").build(),
                        ThirdPartyUrl.newBuilder().setUrl("http://host.invalid/b").setHostingCountry("US").build()))
                .setClaimedCategory(null)
                .build();
        reports.pipeInput("acct-4", report);

        Decision decision = decisions.readValue();
        assertThat(decision.getCategory()).isEqualTo(Category.CSAM_LINK);
        assertThat(decision.getReferrals()).extracting(Referral::getTarget, Referral::getHostingCountry)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ReferralTarget.NCMEC, null),
                        org.assertj.core.groups.Tuple.tuple(ReferralTarget.INHOPE, "NL"));
    }

    @Test
    void sameIncidentAlwaysGetsTheSameDecisionId() {
        reports.pipeInput("acct-5", hashMatch("r1", "acct-5", "post-5"));
        String first = decisions.readValue().getDecisionId();

        assertThat(first).isEqualTo(Ids.decision(Ids.incident("acct-5", "content:post-5")));
    }

    @Test
    void aReportWithoutAValueIsDeadLetteredWithAReason() {
        reports.pipeInput("acct-6", (Report) null);

        var dead = deadLetters.readRecord();
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).isEqualTo("NULL_VALUE");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.REPORTS.name());
    }

    static Report hashMatch(String reportId, String account, String contentId) {
        return Report.newBuilder()
                .setReportId(reportId).setAccountId(account)
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.HASH_MATCH).setMatchList("ncmec-hashes")
                        .setMatchListVerified(true).build())
                .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.MEDIA)
                        .setHashes(List.of(new ContentHash("MD5", "d41d8cd98f00b204e9800998ecf8427e"))).build()))
                .setSourceService("test").setReportedAt(T0).setReceivedAt(T0.plusSeconds(1)).build();
    }

    static Report userReport(String reportId, String account, String contentId, Category claimed, Double score) {
        return Report.newBuilder()
                .setReportId(reportId).setAccountId(account)
                .setReporter(Reporter.newBuilder().setKind(score == null ? ReporterKind.SIGNED_IN_USER : ReporterKind.CLASSIFIER)
                        .setReporterId("u1").setClassifierScore(score).build())
                .setClaimedCategory(claimed)
                .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.POST).build()))
                .setSourceService("test").setReportedAt(T0).setReceivedAt(T0).build();
    }
}
