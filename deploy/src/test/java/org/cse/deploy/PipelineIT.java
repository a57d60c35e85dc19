package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.events.Category;
import org.cse.events.ContentKind;
import org.cse.events.GeneratedMedium;
import org.cse.events.ContentRef;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.ThirdPartyUrl;
import org.cse.schemas.DeadLetters;
import org.cse.events.ActionType;
import org.cse.events.Decision;
import org.cse.events.ReviewRequest;
import org.cse.events.Verdict;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The four services end to end on the real broker and registry, against the sandboxes. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalPipeline pipeline;
    /** What each service's /metrics listed right after it was ready, before any traffic. */
    private final Map<String, String> metricsAtStart = new java.util.TreeMap<>();

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
        for (Map.Entry<String, Integer> service : pipeline.managementPorts().entrySet()) {
            metricsAtStart.put(service.getKey(), http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.getValue()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
        }
    }

    @Test
    void everyMetricThatAlertsAndTheDashboardWatchExistsFromTheStart() throws Exception {
        // a counter that first appears at 1 shows Prometheus no increase: the first dead letter of a kind would not alert
        java.util.regex.Pattern named = java.util.regex.Pattern.compile(
                "\\b(cse_[a-z_]+?)(_total|_seconds_bucket|_seconds_count|_seconds_sum|_seconds_max|_seconds)?\\b");
        java.util.Set<String> watched = new java.util.TreeSet<>();
        for (String file : List.of("prometheus/alerts.yml", "grafana/cse-pipeline.json")) {
            java.util.regex.Matcher m = named.matcher(java.nio.file.Files.readString(java.nio.file.Path.of(file)));
            while (m.find()) {
                watched.add(m.group(1));
            }
        }
        java.util.Set<String> exposed = new java.util.TreeSet<>();
        for (String text : metricsAtStart.values()) {
            java.util.regex.Matcher m = named.matcher(text);
            while (m.find()) {
                exposed.add(m.group(1));
            }
        }
        // the shadow policy's series exist only where a candidate policy runs (none in the local run)
        watched.removeIf(name -> name.startsWith("cse_classifier_shadow_"));
        assertThat(watched).hasSizeGreaterThan(10);
        assertThat(exposed).as("cse_* metrics on the services' /metrics before any traffic").containsAll(watched);
        // and the series alerts filter on are there at 0
        assertThat(metricsAtStart.get("intake-service")).contains("cse_intake_reports_rejected_total{channel=\"kafka\"");
        assertThat(metricsAtStart.get("classifier-stream")).containsPattern("cse_classifier_dead_letters_total\\{[^}]*\\} 0\\.0");
    }

    @AfterAll
    void stop() {
        pipeline.close();
    }

    @Test
    void hashMatchedReportSuspendsOnceAndFinishesExactlyOneNcmecReport() throws Exception {
        String account = "acct-" + UUID.randomUUID();

        // When a verified hash match is posted over HTTP
        HttpResponse<String> response = post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account));
        assertThat(response.statusCode()).isEqualTo(202);

        // Then the platform suspends the account and NCMEC receives one finished report
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(account)));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.platform().applied(account).size() == 3);
        // and nothing more arrives after the pipeline settles
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> pipeline.platform().applied(account).size() == 3
                && pipeline.ncmec().reports().stream().filter(report -> report.xml().contains(account)).count() == 1);
        assertThat(pipeline.platform().applied(account)).extracting(PlatformSandbox.AppliedAction::type)
                .containsExactly("SUSPEND_PERMANENTLY", "REMOVE_CONTENT", "BAN_IDENTIFIERS");
        assertThat(pipeline.ncmec().reports()).filteredOn(report -> report.xml().contains(account))
                .extracting(CyberTiplineSandbox.StoredReport::status).containsExactly(CyberTiplineSandbox.Status.FINISHED);
    }

    @Test
    void onlyTheRegisteredMatcherConfirmsAndOnlyWhatItsListIsFor() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        String sextortion = "acct-" + UUID.randomUUID();

        // a valid publisher claiming a verified match on a list it is not registered for
        assertThat(post("partner-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(403);
        // the registered matcher's match, claimed as a category its list cannot confirm
        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", sextortion)
                .replace("VISUAL_DEPICTION", "SEXTORTION")).statusCode()).isEqualTo(202);
        // the registered matcher's identical report
        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(account)) && pipeline.platform().applied(account).size() == 3);
        assertThat(pipeline.platform().applied(account)).extracting(PlatformSandbox.AppliedAction::type).contains("SUSPEND_PERMANENTLY");
        try (TopicReader<String, ReviewRequest> reviews = pipeline.stack().reader(Topics.REVIEW_REQUESTS);
             TopicReader<String, Decision> decisions = pipeline.stack().reader(Topics.DECISIONS)) {
            var review = reviews.awaitMatching(r -> sextortion.equals(r.key()), 1, Duration.ofSeconds(60));
            assertThat(review).hasSize(1);
            assertThat(review.get(0).value().getPriority()).isEqualTo(org.cse.events.Priority.HIGH);
            assertThat(decisions.settle(r -> sextortion.equals(r.key()), Duration.ofSeconds(2))).isEmpty();
            assertThat(decisions.matching(r -> account.equals(r.key()))).hasSize(1);
        }
        assertThat(pipeline.platform().applied(sextortion)).isEmpty();
    }

    @Test
    void unconfirmedReportRequestsOneReviewAndTakesNoAction() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        LocalStack stack = pipeline.stack();

        assertThat(post("user-reports", SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", account)).statusCode()).isEqualTo(202);

        try (TopicReader<String, ReviewRequest> reviews = stack.reader(Topics.REVIEW_REQUESTS);
             TopicReader<String, Decision> decisions = stack.reader(Topics.DECISIONS)) {
            assertThat(reviews.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
            assertThat(reviews.settle(r -> account.equals(r.key()), Duration.ofSeconds(3))).hasSize(1);
            assertThat(decisions.settle(r -> account.equals(r.key()), Duration.ofSeconds(2))).isEmpty();
        }
        assertThat(pipeline.platform().applied(account)).isEmpty();
        assertThat(pipeline.ncmec().reports()).noneMatch(report -> report.xml().contains(account));
    }

    @Test
    void traffickingAndAChildInImminentDangerFinishHighPriorityNcmecReportsAndTheConfirmedMediumAnnotatesTheReferral() throws Exception {
        String trafficking = "acct-" + UUID.randomUUID();
        String enticement = "acct-" + UUID.randomUUID();
        String generated = "acct-" + UUID.randomUUID();
        LocalStack stack = pipeline.stack();
        for (var claim : Map.of(trafficking, "TRAFFICKING", enticement, "ENTICEMENT", generated, "GENERATED_DEPICTION").entrySet()) {
            assertThat(post("user-reports", SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", claim.getKey())
                    .replace("SEXTORTION", claim.getValue())).statusCode()).isEqualTo(202);
        }

        try (TopicReader<String, ReviewRequest> reviews = stack.reader(Topics.REVIEW_REQUESTS);
             TopicReader<String, Decision> decisions = stack.reader(Topics.DECISIONS);
             KafkaProducer<String, Verdict> verdicts = stack.producer(Topics.VERDICTS)) {
            // reviewers confirm: trafficking (no finding on danger), enticement with a child in imminent danger,
            // and a generated depiction they find AI-generated
            for (var finding : List.of(
                    new Object[] {trafficking, Category.TRAFFICKING, null, GeneratedMedium.NOT_STATED},
                    new Object[] {enticement, Category.ENTICEMENT, true, GeneratedMedium.NOT_STATED},
                    new Object[] {generated, Category.GENERATED_DEPICTION, false, GeneratedMedium.AI_OR_COMPUTER_GENERATED})) {
                String account = (String) finding[0];
                ReviewRequest review = reviews.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60)).get(0).value();
                verdicts.send(new ProducerRecord<>(Topics.VERDICTS.name(), account, Verdict.newBuilder().setVerdictId("ver-" + account)
                        .setReportId(review.getReportIds().get(0)).setAccountId(account).setReviewerId("rev-it").setViolation(true)
                        .setCategory((Category) finding[1]).setImminentDanger((Boolean) finding[2])
                        .setGeneratedMedium((GeneratedMedium) finding[3]).setDecidedAt(Instant.now()).build())).get(10, TimeUnit.SECONDS);
            }

            await().atMost(Duration.ofSeconds(90)).until(() -> List.of(trafficking, enticement, generated).stream().allMatch(account ->
                    pipeline.ncmec().finishedReports().stream().anyMatch(report -> report.xml().contains(account))));
            assertThat(finishedReport(trafficking)).contains("<escalateToHighPriority>Child sex trafficking</escalateToHighPriority>");
            assertThat(finishedReport(enticement)).contains("<escalateToHighPriority>A reviewer found a child in imminent danger"
                    + "</escalateToHighPriority>");
            assertThat(finishedReport(generated)).doesNotContain("escalateToHighPriority");
            Decision decided = decisions.awaitMatching(r -> generated.equals(r.key()), 1, Duration.ofSeconds(10)).get(0).value();
            assertThat(decided.getGeneratedMedium()).isEqualTo(GeneratedMedium.AI_OR_COMPUTER_GENERATED);
            assertThat(decided.getReferrals()).filteredOn(referral -> referral.getTarget() == ReferralTarget.NCMEC)
                    .singleElement().extracting(Referral::getFileAnnotations).isEqualTo(List.of("generativeAi"));
        }
    }

    private String finishedReport(String account) {
        return pipeline.ncmec().finishedReports().stream().filter(report -> report.xml().contains(account)).findFirst().orElseThrow().xml();
    }

    @Test
    void aLostPlatformResponseAndAnNcmecServerErrorStillYieldOneActionEachAndOneFinishedReport() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        pipeline.platform().loseResponseNext(1);
        pipeline.ncmec().failNext("finish", 2, 1000);

        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(account)));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.platform().applied(account).size() == 3);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> pipeline.platform().applied(account).size() == 3);
        assertThat(pipeline.platform().applied(account)).extracting(PlatformSandbox.AppliedAction::type)
                .doesNotHaveDuplicates().contains(ActionType.SUSPEND_PERMANENTLY.name());
        assertThat(pipeline.ncmec().reports()).filteredOn(report -> report.xml().contains(account)).hasSize(1);
    }

    @Test
    void aOneMegabyteGarbageRecordOnTheDecisionsAndRawTopicsIsDeadLetteredCutToFitAndTheNextRecordsGoThrough() throws Exception {
        LocalStack stack = pipeline.stack();
        byte[] garbage = new byte[1_048_000];
        java.util.Arrays.fill(garbage, (byte) 0x01);
        RecordMetadata decisionGarbage;
        RecordMetadata rawGarbage;
        String rawAccount = "acct-raw-" + UUID.randomUUID();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(stack.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
            decisionGarbage = producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), bytes("acct-garbage"), garbage)).get(30, TimeUnit.SECONDS);
            String raw = Topics.rawReports("user-reports").name();
            rawGarbage = producer.send(new ProducerRecord<>(raw, bytes("acct-garbage"), garbage)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(raw, bytes(rawAccount),
                    bytes(SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", rawAccount)))).get(30, TimeUnit.SECONDS);
        }
        String account = "acct-" + UUID.randomUUID();
        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(202);

        for (var dlq : List.of(Topics.ENFORCEMENT_DLQ, Topics.ESCALATION_DLQ)) {
            assertCutDeadLetter(stack, dlq.name(), decisionGarbage, garbage.length);
        }
        assertCutDeadLetter(stack, Topics.REPORTS_RAW_DLQ.name(), rawGarbage, garbage.length);
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.platform().applied(account).size() == 3
                && pipeline.ncmec().finishedReports().stream().anyMatch(report -> report.xml().contains(account)));
        try (TopicReader<String, ReviewRequest> reviews = stack.reader(Topics.REVIEW_REQUESTS)) {
            assertThat(reviews.awaitMatching(r -> rawAccount.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
        }
    }

    @Test
    void aDecisionWhoseTextHoldsControlCharactersStillGetsAFinishedWellFormedNcmecReport() throws Exception {
        String decisionId = "dec-ctl-" + UUID.randomUUID();
        Decision decision = Decision.newBuilder()
                .setDecisionId(decisionId).setIncidentId("inc-ctl").setAccountId("acct-\u0001ctl\u0000")
                .setPolicyVersion("v\u0007").setRuleId("confirmed-malicious\u001b").setReason("reason \u0000\ufffe")
                .setCategory(org.cse.events.Category.CSAM_LINK)
                .setReportIds(List.of("r-ctl")).setReportedAt(Instant.now().minusSeconds(60)).setDecidedAt(Instant.now())
                .setKnowledgeAt(Instant.now())
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)")
                        .setEscalateToHighPriority("urgent\u0008").build()))
                .setContent(List.of(ContentRef.newBuilder().setContentId("post\u0001").setKind(ContentKind.POST)
                        .setUrl("https://platform.invalid/p/\u0001x\u0000\r").build()))
                .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl("http://host.invalid/\u001b[31m\u0007\ud800").build()))
                .build();
        try (var producer = pipeline.stack().producer(Topics.DECISIONS)) {
            producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), "acct-ctl", decision)).get(30, TimeUnit.SECONDS);
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(decisionId)));
        CyberTiplineSandbox.StoredReport report = pipeline.ncmec().finishedReports().stream()
                .filter(r -> r.xml().contains(decisionId)).findFirst().orElseThrow();
        // the sandbox accepted it (it refuses malformed XML with 4110); parse it once more to be sure
        var parsed = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(report.xml().getBytes(StandardCharsets.UTF_8)));
        assertThat(parsed.getElementsByTagName("espIdentifier").item(0).getTextContent()).isEqualTo("acct-\ufffdctl\ufffd");
        assertThat(parsed.getElementsByTagName("url").item(0).getTextContent()).isEqualTo("https://platform.invalid/p/\ufffdx\ufffd\r");
    }

    private static void assertCutDeadLetter(LocalStack stack, String topic, RecordMetadata source, int originalSize) {
        try (TopicReader<byte[], byte[]> dlq = new TopicReader<>(stack.clientConfig(), topic, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            var dead = dlq.awaitMatching(r -> source.topic().equals(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC))
                    && Long.toString(source.offset()).equals(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET))
                    && Integer.toString(source.partition()).equals(DeadLetters.header(r.headers(), DeadLetters.SOURCE_PARTITION)),
                    1, Duration.ofSeconds(60));
            assertThat(dead).as("dead letter on " + topic).hasSize(1);
            var headers = dead.get(0).headers();
            assertThat(DeadLetters.header(headers, DeadLetters.TRUNCATED)).isEqualTo("true");
            assertThat(DeadLetters.header(headers, DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo(Integer.toString(originalSize));
            assertThat(DeadLetters.header(headers, DeadLetters.REASON)).isIn("DESERIALIZATION", "MALFORMED_JSON");
            assertThat(dead.get(0).value().length).isLessThan(originalSize).isGreaterThan(originalSize / 2);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyServiceAnswersHealthAndMetrics() throws Exception {
        for (var service : pipeline.managementPorts().entrySet()) {
            String base = "http://127.0.0.1:" + service.getValue();
            assertThat(get(base + "/health/live").statusCode()).as(service.getKey()).isEqualTo(200);
            assertThat(get(base + "/health/ready").statusCode()).as(service.getKey()).isEqualTo(200);
            assertThat(get(base + "/metrics").body()).as(service.getKey()).contains("service=\"" + service.getKey() + "\"");
        }
    }

    private HttpResponse<String> post(String publisher, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                .header("Authorization", "Bearer " + pipeline.credentials().token(publisher))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }


    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
