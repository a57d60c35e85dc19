package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TempDirs;
import org.cse.localstack.TopicReader;
import org.cse.runtime.Env;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntakeServiceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private LocalCredentials credentials;
    private IntakeService intake;
    private java.nio.file.Path temp;

    @BeforeAll
    void startIntake(LocalStack stack) throws Exception {
        this.stack = stack;
        this.temp = Files.createTempDirectory("intake-it");
        this.credentials = LocalCredentials.create(temp);
        LocalCredentials.PUBLISHERS.forEach(stack::addPublisher);
        intake = new IntakeService(IntakeConfig.from(new Env(stack.environment("intake",
                "INTAKE_PUBLISHERS_FILE", credentials.publishersFile().toString(),
                "INTAKE_PUBLISHERS_RELOAD", "PT0.2S",
                "INTAKE_HTTP_HOST", "127.0.0.1",
                "INTAKE_HTTP_PORT", "0",
                "INTAKE_MANAGEMENT_HOST", "127.0.0.1",
                "INTAKE_MANAGEMENT_PORT", "0",
                "INTAKE_STATE_DIR", Files.createDirectories(temp.resolve("state")).toString(),
                "INTAKE_APPLICATION_ID", "cse-intake-it-" + UUID.randomUUID()))));
        intake.start();
        await().atMost(Duration.ofSeconds(60)).until(intake::isReady);
    }

    @AfterAll
    void stopIntake() {
        intake.close();
        TempDirs.delete(temp);
    }

    @Test
    void acceptedReportIsOnTheReportsTopicInTheRegistryWireFormat() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        HttpResponse<String> response = post(report(account, "VISUAL_DEPICTION"));

        assertThat(response.statusCode()).isEqualTo(202);
        String reportId = JSON.readTree(response.body()).get("reportId").asText();
        try (TopicReader<String, byte[]> reader = new TopicReader<>(stack.clientConfig(), Topics.REPORTS.name(),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            var records = reader.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(records).hasSize(1);
            byte[] bytes = records.get(0).value();
            assertThat(bytes[0]).isZero();
            int schemaId = java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt();
            assertThat(stack.schemaRegistryUrl()).endsWith("/apis/ccompat/v7");
            HttpResponse<String> schema = send(HttpRequest.newBuilder(URI.create(stack.schemaRegistryUrl() + "/schemas/ids/" + schemaId))
                    .GET().build());
            assertThat(schema.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(JSON.readTree(schema.body()).get("schema").asText()).get("name").asText()).isEqualTo("Report");
            assertThat(Topics.REPORTS.valueSerde(stack.registryClient()).deserializer().deserialize(Topics.REPORTS.name(), bytes)
                    .getReportId()).isEqualTo(reportId);
        }
    }

    @Test
    void badInputGetsA4xxWithAReasonAndTheServiceKeepsServing() throws Exception {
        assertRefused(post("{\"accountId\": "), 400, "MALFORMED_JSON", null);
        assertRefused(post(report("a", "VISUAL_DEPICTION").replace("\"accountId\": \"a\"", "\"accountId\": 17")), 400,
                "INVALID_FIELD", "accountId");
        assertRefused(post(report("a", "VISUAL_DEPICTION").replace("\"accountId\": \"a\",", "")), 400, "INVALID_FIELD", "accountId");
        assertRefused(post(report("a", "NOT_A_CATEGORY")), 400, "INVALID_FIELD", "claimedCategory");
        byte[] tenMegabytes = new byte[10 * 1024 * 1024];
        Arrays.fill(tenMegabytes, (byte) ' ');
        assertRefused(send(request("user-reports").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(tenMegabytes)).build()), 413, "BODY_TOO_LARGE", null);
        assertRefused(send(request("user-reports").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build()), 415, "UNSUPPORTED_MEDIA_TYPE", null);
        assertRefused(send(request("user-reports").GET().build()), 405, "METHOD_NOT_ALLOWED", null);

        assertThat(post(report("acct-after-errors", "ENTICEMENT")).statusCode()).isEqualTo(202);
        assertThat(send(HttpRequest.newBuilder(URI.create(management() + "/health/ready")).build()).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create(management() + "/metrics")).build()).body())
                .containsPattern("cse_intake_reports_rejected_total\\{channel=\"http\"[^}]*\\} [1-9]").contains("kafka_producer");
        assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).build()).statusCode())
                .as("the API port serves only the API").isEqualTo(404);
    }

    @Test
    void aReportIdIsIdempotentForTheSameContentAndAConflictForOther() throws Exception {
        String account = "acct-" + UUID.randomUUID();
        String reportId = "rep-" + UUID.randomUUID();
        String first = report(account, "SEXTORTION").replace("{\"accountId\"", "{\"reportId\": \"" + reportId + "\", \"accountId\"");

        HttpResponse<String> stored = post(first);
        HttpResponse<String> retried = post(first);
        HttpResponse<String> reused = post(first.replace("SEXTORTION", "ENTICEMENT"));

        assertThat(stored.statusCode()).isEqualTo(202);
        assertThat(retried.statusCode()).isEqualTo(202);
        assertThat(retried.body()).isEqualTo(stored.body());
        assertRefused(reused, 409, "CONFLICT", "reportId");
        assertThat(send(HttpRequest.newBuilder(URI.create(management() + "/metrics")).build()).body())
                .as("a stored report is never counted as unavailable").doesNotContain("reason=\"UNAVAILABLE\"");
        try (TopicReader<String, byte[]> reader = new TopicReader<>(stack.clientConfig(), Topics.REPORTS.name(),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            assertThat(reader.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(30))).hasSize(1);
            assertThat(reader.settle(r -> account.equals(r.key()), Duration.ofSeconds(2))).as("stored once").hasSize(1);
        }
    }

    @Test
    void sixtyFourSlowConnectionsDoNotStopANormalReportNorTheHealthChecks() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), intake.httpPort());
                // half the clients drip their headers, half declare a body they never send
                String start = i % 2 == 0 ? "POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Ty"
                        : "POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{";
                socket.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            HttpResponse<String> accepted = client.send(request("user-reports").timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(report("acct-" + UUID.randomUUID(), "ENTICEMENT"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> live = client.send(HttpRequest.newBuilder(URI.create(management() + "/health/live"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(live.statusCode()).isEqualTo(200);
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void rawKafkaSubmissionsAreValidatedOrDeadLettered() throws Exception {
        String goodAccount = "acct-raw-" + UUID.randomUUID();
        String badKey = "acct-raw-bad-" + UUID.randomUUID();
        String raw = Topics.rawReports("user-reports").name();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.clientConfig("user-reports"), new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(raw, goodAccount,
                    report(goodAccount, "SEXTORTION").getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(raw, badKey,
                    report(badKey, "VISUAL_DEPICTION").replace("\"NO_ACCOUNT\"", "\"ROBOT\"").getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
        try (TopicReader<String, byte[]> reports = new TopicReader<>(stack.clientConfig(), Topics.REPORTS.name(),
                new StringDeserializer(), new ByteArrayDeserializer());
             TopicReader<byte[], byte[]> dlq = new TopicReader<>(stack.clientConfig(), Topics.REPORTS_RAW_DLQ.name(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assertThat(reports.awaitMatching(r -> goodAccount.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
            var dead = dlq.awaitMatching(r -> badKey.equals(new String(r.key(), StandardCharsets.UTF_8)), 1, Duration.ofSeconds(60));
            assertThat(dead).hasSize(1);
            assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.REASON)).isEqualTo("INVALID_FIELD");
            assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.DETAIL)).startsWith("reporter.kind");
        }
    }

    private void assertRefused(HttpResponse<String> response, int status, String code, String field) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("message").asText()).isNotBlank();
        if (field != null) {
            assertThat(body.get("field").asText()).isEqualTo(field);
        }
    }

    static String report(String account, String category) {
        return """
                {"accountId": "%s", "claimedCategory": "%s", "reporter": {"kind": "NO_ACCOUNT"},
                 "content": [{"contentId": "post-1", "kind": "POST"}]}
                """.formatted(account, category);
    }

    private HttpResponse<String> post(String json) throws Exception {
        return post("user-reports", json);
    }

    private HttpResponse<String> post(String publisher, String json) throws Exception {
        return send(request(publisher).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** A request to the reports resource with a local publisher's bearer token. */
    private HttpRequest.Builder request(String publisher) {
        return HttpRequest.newBuilder(reportsUri()).header("Authorization", "Bearer " + credentials.token(publisher));
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private URI reportsUri() {
        return URI.create(base() + "/v1/reports");
    }

    private String base() {
        return "http://127.0.0.1:" + intake.httpPort();
    }

    private String management() {
        return "http://127.0.0.1:" + intake.managementPort();
    }

}
