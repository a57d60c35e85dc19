package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.cse.localstack.KafkaBroker;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the broker gone, intake still answers: a 503 within the produce timeout that carries the
 * report id to retry with, and its health checks answer. A broker of its own, so the shared one
 * stays up for the other tests.
 */
@ExtendWith(LocalStackExtension.class)
class IntakeBrokerDownIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PRODUCE_TIMEOUT_MS = 3000;

    @Test
    void withTheBrokerStoppedIntakeAnswers503InTimeAndStaysLive(LocalStack stack, @TempDir java.nio.file.Path temp) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(null)) {
            LocalStack.createTopics(broker.adminClientConfig(), Topics.ALL);
            LocalCredentials credentials = LocalCredentials.create(temp);
            // the broker's super user: this test is about an outage, the ACLs are another's
            Map<String, String> env = new java.util.HashMap<>(Map.of(
                    "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "KAFKA_USERNAME", "admin",
                    "KAFKA_PASSWORD", broker.adminPassword(),
                    "SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl(),
                    "INTAKE_PUBLISHERS_FILE", credentials.publishersFile().toString()));
            env.putAll(Map.of(
                    "INTAKE_HTTP_HOST", "127.0.0.1",
                    "INTAKE_HTTP_PORT", "0",
                    "INTAKE_MANAGEMENT_HOST", "127.0.0.1",
                    "INTAKE_MANAGEMENT_PORT", "0",
                    "INTAKE_PRODUCE_TIMEOUT_MS", Integer.toString(PRODUCE_TIMEOUT_MS),
                    "INTAKE_STATE_DIR", temp.resolve("state").toString(),
                    "INTAKE_APPLICATION_ID", "intake-down-" + UUID.randomUUID()));
            IntakeService intake = new IntakeService(IntakeConfig.from(new Env(env)));
            try {
                intake.start();
                await().atMost(Duration.ofSeconds(60)).until(intake::isReady);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                assertThat(post(http, intake, credentials, "acct-before").statusCode()).isEqualTo(202);

                broker.kill();

                long started = System.nanoTime();
                HttpResponse<String> answer = post(http, intake, credentials, "acct-during");
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                JsonNode body = JSON.readTree(answer.body());
                assertThat(body.get("error").asText()).isEqualTo("UNAVAILABLE");
                assertThat(body.get("reportId").asText()).as("the id to retry with").isNotBlank();
                assertThat(took).as("answered within the produce timeout (plus a margin)")
                        .isLessThan(Duration.ofMillis(PRODUCE_TIMEOUT_MS + 1500));

                long liveStarted = System.nanoTime();
                HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + intake.managementPort()
                        + "/health/live")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(live.statusCode()).isEqualTo(200);
                Duration liveTook = Duration.ofNanos(System.nanoTime() - liveStarted);
                assertThat(liveTook).isLessThan(Duration.ofSeconds(1));
                System.out.printf("broker down: 503 after %d ms (produce timeout %d ms); /health/live after %d ms%n", took.toMillis(),
                        PRODUCE_TIMEOUT_MS, liveTook.toMillis());
            } finally {
                intake.close();
            }
        }
    }

    private static HttpResponse<String> post(HttpClient http, IntakeService intake, LocalCredentials credentials, String account)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + intake.httpPort() + "/v1/reports"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + credentials.token("user-reports"))
                .POST(HttpRequest.BodyPublishers.ofString(IntakeServiceIT.report(account, "ENTICEMENT"))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
