package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Exemption;
import org.cse.events.Intent;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The classifier on the real broker and registry. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClassifierIT {
    private LocalStack stack;
    private ClassifierHarness harness;
    private ClassifierService classifier;

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        this.stack = stack;
        this.harness = new ClassifierHarness(stack);
        this.classifier = harness.startClassifier("cse-classifier-it-" + UUID.randomUUID());
    }

    @AfterAll
    void stop() {
        classifier.close();
        harness.close();
    }

    @Test
    void oversizedStateInputsForOneAccountDoNotStopTheClassifier() throws Exception {
        String flooded = "acct-flood-" + UUID.randomUUID();
        String other = "acct-" + UUID.randomUUID();
        // Straight to cse.reports.v1, past intake's limits: 12,000 hashes on one item (close to the topic's 1 MB),
        // 600 content items, then 150 reports at the item limits, each ~200 KB, for one account.
        java.util.List<org.cse.events.ContentHash> hashes = new java.util.ArrayList<>();
        for (int h = 0; h < 12_000; h++) {
            hashes.add(new org.cse.events.ContentHash("SHA256", "%064x".formatted(h)));
        }
        harness.send(Topics.REPORTS, flooded, org.cse.events.Report.newBuilder(Fixtures.userReport("huge-1", flooded, "p", null))
                .setContent(java.util.List.of(org.cse.events.ContentRef.newBuilder().setContentId("media-1").setHashes(hashes).build()))
                .build());
        java.util.List<org.cse.events.ContentRef> items = new java.util.ArrayList<>();
        for (int i = 0; i < 600; i++) {
            items.add(org.cse.events.ContentRef.newBuilder().setContentId("item-" + i).build());
        }
        harness.send(Topics.REPORTS, flooded, org.cse.events.Report.newBuilder(Fixtures.userReport("huge-2", flooded, "p", null))
                .setContent(items).build());
        for (int i = 0; i < 150; i++) {
            harness.sendAsync(Topics.REPORTS, flooded, HostileInputTopologyTest.bigUserReport("flood-" + i, flooded, i));
        }
        harness.flush();
        harness.send(Topics.REPORTS, other, Fixtures.hashMatch("r-other", other, "post-1"));
        harness.send(Topics.REPORTS, flooded, Fixtures.hashMatch("r-confirmed", flooded, "post-new"));

        try (TopicReader<String, Decision> decisions = harness.decisions()) {
            assertThat(decisions.awaitMatching(r -> other.equals(r.key()), 1, Duration.ofSeconds(90))).hasSize(1);
            var confirmed = decisions.awaitMatching(r -> flooded.equals(r.key()), 1, Duration.ofSeconds(60));
            assertThat(confirmed).hasSize(1);
            assertThat(confirmed.get(0).value().getRuleId()).isEqualTo(RuleId.CONFIRMED_MALICIOUS.id());
        }
        assertThat(classifier.isReady()).isTrue();
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + classifier.managementPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        // counted, not only registered: the series exist at 0 from the start
        assertThat(metrics.body()).containsPattern("cse_classifier_trimmed_items_total\\{service=\"classifier-stream\",what=\"state\"\\} [1-9]")
                .containsPattern("cse_classifier_trimmed_items_total\\{service=\"classifier-stream\",what=\"input\"\\} [1-9]");
    }

    @Test
    void twoConfirmedNoMaliceViolationsBackToBackLockThenSuspend() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        harness.send(Topics.REPORTS, account, Fixtures.userReport("r1-" + account, account, "post-a", Category.SEXUALIZED_COMMENTARY));
        harness.send(Topics.REPORTS, account, Fixtures.userReport("r2-" + account, account, "post-b", Category.SEXUALIZED_COMMENTARY));
        harness.send(Topics.VERDICTS, account, Fixtures.violation("v1", account, "r1-" + account, Category.SEXUALIZED_COMMENTARY,
                Intent.NO_MALICIOUS_INTENT));
        harness.send(Topics.VERDICTS, account, Fixtures.violation("v2", account, "r2-" + account, Category.SEXUALIZED_COMMENTARY,
                Intent.NO_MALICIOUS_INTENT));

        try (TopicReader<String, Decision> decisions = harness.decisions()) {
            var records = decisions.awaitMatching(r -> account.equals(r.key()), 2, Duration.ofSeconds(60));
            assertThat(records).extracting(r -> r.value().getRuleId()).containsExactly(RuleId.NO_MALICE_FIRST.id(), RuleId.REPEAT_VIOLATION.id());
        }
        HttpResponse<String> lookup = get("/v1/accounts/" + account);
        assertThat(lookup.statusCode()).isEqualTo(200);
        JsonNode view = new ObjectMapper().readTree(lookup.body());
        assertThat(view.get("status").asText()).isEqualTo("SUSPENDED");
        assertThat(view.get("strikes")).hasSize(2);
        assertThat(get("/v1/accounts/never-reported-" + UUID.randomUUID()).statusCode()).isEqualTo(404);
    }

    @Test
    void anAccountLookupNeedsAnOperatorTokenAndIsAudited() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        harness.send(Topics.REPORTS, account, Fixtures.hashMatch("r1-" + account, account, "post-1"));
        try (TopicReader<String, Decision> decisions = harness.decisions()) {
            assertThat(decisions.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
        }
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> audit = new ch.qos.logback.core.read.ListAppender<>();
        audit.start();
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("audit")).addAppender(audit);
        try {
            HttpResponse<String> anonymous = send(null, "/v1/accounts/" + account);
            HttpResponse<String> publisher = send(harness.credentials.token("hash-matcher"), "/v1/accounts/" + account);
            HttpResponse<String> operator = get("/v1/accounts/" + account);

            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
            assertThat(publisher.statusCode()).as("a publisher's token opens no lookup").isEqualTo(401);
            assertThat(operator.statusCode()).isEqualTo(200);
            assertThat(audit.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .containsExactly("operator oncall looked up account " + account + " from 127.0.0.1");
        } finally {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("audit")).detachAppender(audit);
        }
    }

    @Test
    void aThousandReportsOfTheSamePostAreOneDecision() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        for (int i = 0; i < 1000; i++) {
            harness.sendAsync(Topics.REPORTS, account, Fixtures.hashMatch("r" + i + "-" + account, account, "post-1"));
        }
        harness.flush();

        try (TopicReader<String, Decision> decisions = harness.decisions()) {
            assertThat(decisions.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
            assertThat(decisions.settle(r -> account.equals(r.key()), Duration.ofSeconds(5))).hasSize(1);
        }
    }

    @Test
    void refusedInputsAreDeadLetteredWithAReasonAndTheAppKeepsRunning() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        harness.send(Topics.REPORTS, account, Fixtures.userReport("r1-" + account, account, "post-1", Category.GENERATED_DEPICTION));
        harness.send(Topics.VERDICTS, account, Fixtures.violation("v1", account, "unknown-report", Category.VISUAL_DEPICTION, Intent.MALICIOUS));
        harness.send(Topics.VERDICTS, account, Fixtures.exemption("v2", account, "r1-" + account, Category.GENERATED_DEPICTION, Exemption.ADVOCACY));
        harness.send(Topics.APPEALS, account, Fixtures.appeal("a1", account, "dec-unknown", AppealStatus.FILED));
        harness.send(Topics.REPORTS, account, Fixtures.hashMatch("r2-" + account, account, "post-2"));

        try (TopicReader<byte[], byte[]> dlq = new TopicReader<>(stack.clientConfig(), Topics.CLASSIFIER_DLQ.name(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             TopicReader<String, Decision> decisions = harness.decisions()) {
            var dead = dlq.awaitMatching(r -> r.key() != null && account.equals(new String(r.key(), StandardCharsets.UTF_8)), 3,
                    Duration.ofSeconds(60));
            assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                    .containsExactly("UNKNOWN_REPORT", "INVALID_EXEMPTION", "UNKNOWN_DECISION");
            assertThat(decisions.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
        }
        assertThat(classifier.isReady()).isTrue();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(harness.credentials.operatorToken(), path);
    }

    private HttpResponse<String> send(String token, String path) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + classifier.httpPort() + path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
