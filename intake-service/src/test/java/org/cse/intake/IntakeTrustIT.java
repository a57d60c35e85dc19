package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cse.events.Report;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TempDirs;
import org.cse.localstack.TopicReader;
import org.cse.runtime.Env;
import org.cse.runtime.auth.BearerToken;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Who gets in and what they may assert, on both of intake's channels, against the real broker. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntakeTrustIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private LocalCredentials credentials;
    private IntakeService intake;
    private java.nio.file.Path temp;

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        this.stack = stack;
        this.temp = Files.createTempDirectory("intake-trust");
        this.credentials = LocalCredentials.create(temp);
        LocalCredentials.PUBLISHERS.forEach(stack::addPublisher);
        intake = new IntakeService(IntakeConfig.from(new Env(stack.environment("intake",
                "INTAKE_PUBLISHERS_FILE", credentials.publishersFile().toString(),
                "INTAKE_PUBLISHERS_RELOAD", "PT0.2S",
                "INTAKE_HTTP_HOST", "127.0.0.1", "INTAKE_HTTP_PORT", "0",
                "INTAKE_MANAGEMENT_HOST", "127.0.0.1", "INTAKE_MANAGEMENT_PORT", "0",
                "INTAKE_STATE_DIR", Files.createDirectories(temp.resolve("state")).toString(),
                "INTAKE_APPLICATION_ID", "cse-intake-trust-" + UUID.randomUUID()))));
        intake.start();
        await().atMost(Duration.ofSeconds(60)).until(intake::isReady);
    }

    @AfterAll
    void stop() {
        intake.close();
        TempDirs.delete(temp);
    }

    @Test
    void noCredentialAWrongTokenOrAnExpiredRotatedTokenGet401AndNothingIsStored() throws Exception {
        String account = "acct-anon-" + UUID.randomUUID();
        String body = hashMatch(account, null);
        String oldToken = BearerToken.generate("old");
        String newToken = BearerToken.generate("new");
        // rotation: the hash matcher's old token expired an hour ago, a new one is valid
        credentials.writePublishers(Map.of("hash-matcher", List.of(
                "sha256: " + BearerToken.hexDigest(oldToken) + "\n        notAfter: " + Instant.now().minusSeconds(3600),
                "sha256: " + BearerToken.hexDigest(newToken))));
        await().atMost(Duration.ofSeconds(10)).until(() -> post(newToken, hashMatch("acct-probe-" + UUID.randomUUID(), null))
                .statusCode() == 202);

        for (HttpResponse<String> refused : List.of(post(null, body), post("not-a-token", body), post(oldToken, body),
                send(HttpRequest.newBuilder(uri()).header("Authorization", "Basic dXNlcjpwYXNz")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))))) {
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
            assertThat(JSON.readTree(refused.body()).get("error").asText()).isEqualTo("UNAUTHENTICATED");
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
        }
        assertThat(post(newToken, body).statusCode()).isEqualTo(202);
        try (TopicReader<String, Report> reports = stack.reader(Topics.REPORTS)) {
            assertThat(reports.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(30))).hasSize(1);
            assertThat(reports.settle(r -> account.equals(r.key()), Duration.ofSeconds(2))).as("only the authenticated one").hasSize(1);
        }
        credentials.writePublishers(Map.of());
    }

    @Test
    void aVerifiedMatchClaimedOutsideTheGrantIsForbiddenAndTheSourceServiceIsThePublisher() throws Exception {
        String account = "acct-claims-" + UUID.randomUUID();
        HttpResponse<String> partner = post(credentials.token("partner-matcher"), hashMatch(account, "made-up-service"));
        HttpResponse<String> user = post(credentials.token("user-reports"), hashMatch(account, null));
        HttpResponse<String> matcher = post(credentials.token("hash-matcher"), hashMatch(account, "made-up-service"));

        assertForbidden(partner, "reporter.matchList");
        assertForbidden(user, "reporter.kind");
        assertThat(matcher.statusCode()).isEqualTo(202);
        try (TopicReader<String, Report> reports = stack.reader(Topics.REPORTS)) {
            var stored = reports.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(stored).hasSize(1);
            assertThat(stored.get(0).value().getSourceService()).isEqualTo("hash-matcher");
            assertThat(stored.get(0).value().getReporter().getMatchListVerified()).isTrue();
        }
    }

    @Test
    void aMatchOnAListThePublisherIsNotVerifiedForIsStoredUnverifiedWhenItClaimsNoVerification() throws Exception {
        String account = "acct-unverified-" + UUID.randomUUID();
        HttpResponse<String> partner = post(credentials.token("partner-matcher"), hashMatch(account, null)
                .replace("\"matchListVerified\": true", "\"matchListVerified\": false"));

        assertThat(partner.statusCode()).isEqualTo(202);
        try (TopicReader<String, Report> reports = stack.reader(Topics.REPORTS)) {
            var stored = reports.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(stored.get(0).value().getReporter().getMatchListVerified()).isFalse();
        }
    }

    @Test
    void aRawReportCarriesOnlyWhatItsPublishersGrantAllows() throws Exception {
        String forged = "acct-raw-forged-" + UUID.randomUUID();
        String granted = "acct-raw-granted-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> user = new KafkaProducer<>(stack.clientConfig("user-reports"), new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
             KafkaProducer<String, byte[]> matcher = new KafkaProducer<>(stack.clientConfig("hash-matcher"), new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            user.send(new ProducerRecord<>(Topics.rawReports("user-reports").name(), forged, bytes(hashMatch(forged, null))))
                    .get(30, TimeUnit.SECONDS);
            matcher.send(new ProducerRecord<>(Topics.rawReports("hash-matcher").name(), granted, bytes(hashMatch(granted, "anything"))))
                    .get(30, TimeUnit.SECONDS);
        }
        try (TopicReader<byte[], byte[]> dlq = new TopicReader<>(stack.clientConfig(), Topics.REPORTS_RAW_DLQ.name(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             TopicReader<String, Report> reports = stack.reader(Topics.REPORTS)) {
            var dead = dlq.awaitMatching(r -> forged.equals(new String(r.key(), StandardCharsets.UTF_8)), 1, Duration.ofSeconds(60));
            assertThat(dead).hasSize(1);
            assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.REASON)).isEqualTo("FORBIDDEN");
            assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.DETAIL)).startsWith("reporter.kind");
            var stored = reports.awaitMatching(r -> granted.equals(r.key()), 1, Duration.ofSeconds(60));
            assertThat(stored).hasSize(1);
            assertThat(stored.get(0).value().getSourceService()).isEqualTo("hash-matcher");
            assertThat(reports.settle(r -> forged.equals(r.key()), Duration.ofSeconds(1))).isEmpty();
        }
    }

    @Test
    void aPublisherOverItsRateGets429WithRetryAfterAndSoDoesAFloodOfVerifiedMatches() throws Exception {
        String slow = BearerToken.generate("slow");
        String matcher = BearerToken.generate("matcher");
        credentials.writePublishers(Map.of(), """
                  slow-publisher:
                    tokens: [{sha256: %s}]
                    reporterKinds: [NO_ACCOUNT]
                    rateLimit: {perSecond: 3}
                  capped-matcher:
                    tokens: [{sha256: %s}]
                    reporterKinds: [HASH_MATCH]
                    verifiedMatchLists: [ncmec-verified-hashes]
                    rateLimit: {confirmedPerMinute: 2}
                """.formatted(BearerToken.hexDigest(slow), BearerToken.hexDigest(matcher)));
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> post(slow, IntakeServiceIT.report("acct-probe-" + UUID.randomUUID(),
                    "ENTICEMENT")).statusCode() != 401);
            List<Integer> statuses = new java.util.ArrayList<>();
            HttpResponse<String> limited = null;
            for (int i = 0; i < 10 && limited == null; i++) {
                HttpResponse<String> answer = post(slow, IntakeServiceIT.report("acct-slow-" + UUID.randomUUID(), "ENTICEMENT"));
                statuses.add(answer.statusCode());
                limited = answer.statusCode() == 429 ? answer : null;
            }
            assertThat(limited).as("statuses " + statuses).isNotNull();
            assertThat(JSON.readTree(limited.body()).get("error").asText()).isEqualTo("RATE_LIMITED");
            assertThat(limited.headers().firstValue("Retry-After")).contains("1");

            List<Integer> matches = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                matches.add(post(matcher, hashMatch("acct-capped-" + UUID.randomUUID(), null)).statusCode());
            }
            assertThat(matches).as("two verified matches a minute, then refused").containsExactly(202, 202, 429);
            // counted, not only registered: the series exist at 0 from the start
            assertThat(metrics()).containsPattern("cse_intake_publisher_reports_total\\{confirmed=\"true\",publisher=\"capped-matcher\"[^}]*\\} [1-9]");
        } finally {
            credentials.writePublishers(Map.of());
        }
    }

    @Test
    void anInvalidRegistryFileIsRefusedAndThePreviousOneStaysInForce() throws Exception {
        Path file = credentials.publishersFile();
        String good = Files.readString(file);
        try {
            Files.writeString(file, good.replace("reporterKinds: [HASH_MATCH, URL_MATCH]", "reporterKinds: [HASH_MATCH, TELEPATHY]"));
            await().atMost(Duration.ofSeconds(10)).until(() -> metrics().contains("cse_intake_publisher_registry_valid{service=\"intake-service\"} 0.0"));
            assertThat(post(credentials.token("hash-matcher"), hashMatch("acct-still-" + UUID.randomUUID(), null)).statusCode()).isEqualTo(202);
        } finally {
            Files.writeString(file, good);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> metrics().contains("cse_intake_publisher_registry_valid{service=\"intake-service\"} 1.0"));
    }

    private void assertForbidden(HttpResponse<String> response, String field) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("FORBIDDEN");
        assertThat(body.get("field").asText()).isEqualTo(field);
    }

    static String hashMatch(String account, String sourceService) {
        return """
                {"accountId": "%s", %s"reporter": {"kind": "HASH_MATCH", "matchList": "ncmec-verified-hashes", "matchListVerified": true},
                 "claimedCategory": "VISUAL_DEPICTION",
                 "content": [{"contentId": "media-1", "kind": "MEDIA", "hashes": [{"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}]}]}
                """.formatted(account, sourceService == null ? "" : "\"sourceService\": \"" + sourceService + "\", ");
    }

    private HttpResponse<String> post(String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + intake.managementPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + intake.httpPort() + "/v1/reports");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
