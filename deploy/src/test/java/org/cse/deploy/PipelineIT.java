package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.cse.events.ActionType;
import org.cse.events.Decision;
import org.cse.events.ReviewRequest;
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

    @BeforeAll
    void start(LocalStack stack) {
        pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
    }

    @AfterAll
    void stop() {
        pipeline.close();
    }

    @Test
    void hashMatchedReportSuspendsOnceAndFinishesExactlyOneNcmecReport() throws Exception {
        String account = "acct-" + UUID.randomUUID();

        // When a verified hash match is posted over HTTP
        HttpResponse<String> response = post(SampleTraffic.HASH_MATCH.replace("acct-1001", account));
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
    void unconfirmedReportRequestsOneReviewAndTakesNoAction() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        LocalStack stack = pipeline.stack();

        assertThat(post(SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", account)).statusCode()).isEqualTo(202);

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
    void aLostPlatformResponseAndAnNcmecServerErrorStillYieldOneActionEachAndOneFinishedReport() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        pipeline.platform().loseResponseNext(1);
        pipeline.ncmec().failNext("finish", 2, 1000);

        assertThat(post(SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(account)));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.platform().applied(account).size() == 3);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> pipeline.platform().applied(account).size() == 3);
        assertThat(pipeline.platform().applied(account)).extracting(PlatformSandbox.AppliedAction::type)
                .doesNotHaveDuplicates().contains(ActionType.SUSPEND_PERMANENTLY.name());
        assertThat(pipeline.ncmec().reports()).filteredOn(report -> report.xml().contains(account)).hasSize(1);
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

    private HttpResponse<String> post(String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
