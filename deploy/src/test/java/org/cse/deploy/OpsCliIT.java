package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.events.ReviewRequest;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.ops.OpsCli;
import org.cse.runtime.Env;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every cse-ops command against the running pipeline, as an operator would type it; its output and exit code asserted. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpsCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalPipeline pipeline;
    private String matched;

    record Run(int exit, String out, String err) {
        List<JsonNode> lines() throws Exception {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
            return lines;
        }

        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
        matched = "acct-ops-" + UUID.randomUUID();
        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", matched)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.ncmec().finishedReports().stream()
                .anyMatch(report -> report.xml().contains(matched)) && pipeline.platform().applied(matched).size() == 3);
    }

    @AfterAll
    void stop() {
        pipeline.close();
    }

    @Test
    void tailDecodesReportsAndDecisionsAndRedactsReportContentUnlessAskedWithAnAuditLine() throws Exception {
        Run reports = ops("tail", Topics.REPORTS.name(), "--from-beginning", "--account", matched, "--json");
        assertThat(reports.exit()).as(reports.err()).isZero();
        assertThat(reports.lines()).hasSize(1);
        JsonNode report = reports.lines().get(0);
        assertThat(report.path("key").asText()).isEqualTo(matched);
        assertThat(report.path("value").path("accountId").asText()).isEqualTo(matched);
        assertThat(report.path("value").path("reporter").path("kind").asText()).isEqualTo("HASH_MATCH");
        assertThat(report.path("value").path("content").get(0).path("url").asText()).isEqualTo("<redacted>");
        assertThat(report.path("value").path("receivedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(reports.out()).doesNotContain("platform.invalid");

        Run shown = ops("tail", Topics.REPORTS.name(), "--from-beginning", "--account", matched, "--json", "--show-content");
        assertThat(shown.exit()).isZero();
        assertThat(shown.out()).contains("https://platform.invalid/m/88231");
        assertThat(shown.err()).contains("audit: oncall shows report content of " + Topics.REPORTS.name());

        Run decisions = ops("tail", Topics.DECISIONS.name(), "--since", "1h", "--account", matched);
        assertThat(decisions.exit()).as(decisions.err()).isZero();
        assertThat(decisions.out().lines().toList()).hasSize(1);
        String decisionId = decisions.out().replaceAll("(?s).*\"decisionId\":\"([^\"]+)\".*", "$1");
        assertThat(decisions.out()).contains(Topics.DECISIONS.name() + "/").contains(" " + matched + " ").contains("SUSPEND_PERMANENTLY");
        Run byDecision = ops("tail", Topics.ENFORCEMENT_OUTCOMES.name(), "--from-beginning", "--decision", decisionId, "--json");
        assertThat(byDecision.lines()).hasSize(3).allSatisfy(line -> assertThat(line.path("value").path("status").asText())
                .isIn("APPLIED", "ALREADY_APPLIED"));
        assertThat(ops("tail", "cse.no.such.topic").exit()).isEqualTo(7);
    }

    @Test
    void aDeadLetterIsCountedShownReplayedOnceThroughThePipelineAndASecondReplayIsRefused() throws Exception {
        // Given a good user report that intake dead-lettered (say a bug, since fixed): its original bytes and headers
        String account = "acct-dlq-" + UUID.randomUUID();
        byte[] original = SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", account).getBytes(StandardCharsets.UTF_8);
        String raw = Topics.rawReports("user-reports").name();
        RecordMetadata dead = deadLetter(account, original, raw, DeadLetterReason.PROCESSING_FAILED);
        String at = Topics.REPORTS_RAW_DLQ.name() + "/" + dead.partition() + "/" + dead.offset();

        // dlq list counts it by reason and source
        Run list = ops("dlq", "list", "--json");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.json()).anySatisfy(row -> {
            assertThat(row.path("topic").asText()).isEqualTo(Topics.REPORTS_RAW_DLQ.name());
            assertThat(row.path("reason").asText()).isEqualTo("PROCESSING_FAILED");
            assertThat(row.path("sourceTopic").asText()).isEqualTo(raw);
            assertThat(row.path("count").asLong()).isEqualTo(1);
            assertThat(row.path("replayed").asLong()).isZero();
        });
        assertThat(ops("dlq", "list").out()).contains("DEAD-LETTER TOPIC").contains("PROCESSING_FAILED");

        // dlq show gives the headers and the value, content redacted
        Run show = ops("dlq", "show", at);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("cse.dlq.reason: PROCESSING_FAILED").contains("cse.dlq.source.topic: " + raw)
                .contains("\"accountId\":\"" + account + "\"").contains("replayed: no");

        // replay: without --confirm nothing happens; the read-only ops user may not write; ops-replay may, once
        Run unconfirmed = ops("dlq", "replay", at);
        assertThat(unconfirmed.exit()).isEqualTo(8);
        assertThat(unconfirmed.err()).contains("add --confirm");
        Run readOnly = ops("dlq", "replay", at, "--confirm");
        assertThat(readOnly.exit()).as(readOnly.err()).isEqualTo(6);
        Run replay = run(pipeline.opsEnvironment("ops-replay"), "dlq", "replay", at, "--confirm");
        assertThat(replay.exit()).as(replay.err()).isZero();
        assertThat(replay.out()).startsWith("replayed " + at + " (PROCESSING_FAILED) to " + raw + "/");

        // the original bytes are back on the publisher's raw topic with the replay headers, and intake took them
        try (TopicReader<byte[], byte[]> rawReader = new TopicReader<>(pipeline.stack().clientConfig(), raw, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            var back = rawReader.awaitMatching(r -> at.equals(DeadLetters.header(r.headers(), "cse.replay.of")), 1, Duration.ofSeconds(30));
            assertThat(back).hasSize(1);
            assertThat(back.get(0).value()).isEqualTo(original);
            assertThat(DeadLetters.header(back.get(0).headers(), "cse.replay.operator")).isEqualTo("oncall");
            assertThat(DeadLetters.header(back.get(0).headers(), DeadLetters.REASON)).as("the dead-letter headers stay behind").isNull();
        }
        try (TopicReader<String, ReviewRequest> reviews = pipeline.stack().reader(Topics.REVIEW_REQUESTS)) {
            assertThat(reviews.awaitMatching(r -> account.equals(r.key()), 1, Duration.ofSeconds(60))).hasSize(1);
        }

        // a second replay of the same dead letter is refused, and the list says it was replayed
        Run again = run(pipeline.opsEnvironment("ops-replay"), "dlq", "replay", at, "--confirm");
        assertThat(again.exit()).isEqualTo(8);
        assertThat(again.err()).contains("already replayed by oncall");
        assertThat(ops("dlq", "list", "--json").json()).anySatisfy(row -> {
            assertThat(row.path("sourceTopic").asText()).isEqualTo(raw);
            assertThat(row.path("replayed").asLong()).isEqualTo(1);
        });
        // another dead letter of the same source record (two services refusing one record) goes back once only
        RecordMetadata second = deadLetter(account, original, raw, DeadLetterReason.PROCESSING_FAILED);
        String twin = Topics.REPORTS_RAW_DLQ.name() + "/" + second.partition() + "/" + second.offset();
        Run twinReplay = run(pipeline.opsEnvironment("ops-replay"), "dlq", "replay", twin, "--confirm");
        assertThat(twinReplay.exit()).as(twinReplay.err()).isEqualTo(8);
        assertThat(twinReplay.err()).contains("(" + raw + "/2/41) was already replayed from " + at);
        assertThat(ops("dlq", "show", at).out()).contains("replayed: oncall at ");
        assertThat(ops("dlq", "show", "cse.reports.v1/0/1").exit()).as("only dead-letter topics").isEqualTo(2);
        assertThat(ops("dlq", "show", Topics.REPORTS_RAW_DLQ.name() + "/0/999999").exit()).isEqualTo(7);
    }

    @Test
    void aRawDeadLetterShowsOnlyItsIdsWhateverKeysItHasUnlessContentIsAskedForWithAnAuditLine() throws Exception {
        String account = "acct-hostile-" + UUID.randomUUID();
        byte[] hostile = ("{\"accountId\": \"" + account + "\", \"descripton\": \"SECRET-ONE\", \"thirdPartyUrls\": [\"http://SECRET-TWO\"],"
                + " \"content\": [{\"contentId\": \"c-1\", \"url\": \"http://SECRET-THREE\", \"note\": \"SECRET-FOUR\"}],"
                + " \"reporter\": {\"kind\": \"SIGNED_IN_USER\", \"freeText\": \"SECRET-FIVE\"}}").getBytes(StandardCharsets.UTF_8);
        RecordMetadata dead = deadLetter(account, hostile, Topics.rawReports("user-reports").name(), DeadLetterReason.INVALID_FIELD);
        String at = Topics.REPORTS_RAW_DLQ.name() + "/" + dead.partition() + "/" + dead.offset();

        Run show = ops("dlq", "show", at);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains(account).contains("c-1").contains("SIGNED_IN_USER").doesNotContain("SECRET");
        Run tail = ops("tail", Topics.REPORTS_RAW_DLQ.name(), "--since", "10m", "--account", account, "--json");
        assertThat(tail.lines()).hasSize(1);
        assertThat(tail.out()).doesNotContain("SECRET");
        Run shown = ops("dlq", "show", at, "--show-content");
        assertThat(shown.out()).contains("SECRET-ONE", "SECRET-TWO", "SECRET-THREE", "SECRET-FOUR", "SECRET-FIVE");
        assertThat(shown.err()).contains("audit: oncall shows report content of " + at);
    }

    @Test
    void accountShowsTheClassifierStateAndEveryActionAndReferralInOneView() throws Exception {
        Run text = ops("account", matched);
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("account " + matched + ": SUSPENDED").contains("actions (3):").contains("SUSPEND_PERMANENTLY")
                .contains("referrals (1):").contains("NCMEC").contains("FINISHED");
        JsonNode json = ops("account", matched, "--json").json();
        assertThat(json.path("classifier").path("strikes")).hasSize(1);
        assertThat(json.path("actions")).hasSize(3).allSatisfy(a -> assertThat(a.path("status").asText()).isEqualTo("APPLIED"));
        assertThat(json.path("referrals").get(0).path("reportId").asText()).isNotEmpty();

        assertThat(ops("account", "acct-nobody-" + UUID.randomUUID()).exit()).isEqualTo(7);
        Map<String, String> wrongToken = new HashMap<>(pipeline.opsEnvironment("ops"));
        wrongToken.put("CSE_OPS_TOKEN", "op_not-a-real-token");
        Run refused = run(wrongToken, "account", matched);
        assertThat(refused.exit()).isEqualTo(6);
        assertThat(refused.err()).contains("refused the operator token (HTTP 401)");
        Map<String, String> down = new HashMap<>(pipeline.opsEnvironment("ops"));
        down.put("CSE_CLASSIFIER_URL", "http://127.0.0.1:9");
        Run unreachable = run(down, "account", matched);
        assertThat(unreachable.exit()).isEqualTo(5);
        assertThat(unreachable.err()).contains("the classifier service cannot be reached at http://127.0.0.1:9");
    }

    @Test
    void referralsAreListedByStateAndAge() throws Exception {
        Run finished = ops("referrals", "--status", "finished", "--json");
        assertThat(finished.exit()).as(finished.err()).isZero();
        assertThat(finished.json()).anySatisfy(r -> {
            assertThat(r.path("accountId").asText()).isEqualTo(matched);
            assertThat(r.path("target").asText()).isEqualTo("NCMEC");
            assertThat(r.path("externalReportId").asText()).isNotEmpty();
        });
        assertThat(ops("referrals", "--status", "FINISHED", "--older-than", "1d", "--json").json())
                .noneSatisfy(r -> assertThat(r.path("accountId").asText()).isEqualTo(matched));
        assertThat(ops("referrals", "--status", "FINISHED").out()).contains("REFERRAL").contains(matched).contains("referral(s) FINISHED");
        Run wrong = ops("referrals", "--status", "STUCK");
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err()).contains("not a referral state").contains("PARKED");
        assertThat(ops("referrals", "--older-than", "yesterday").exit()).isEqualTo(2);
    }

    @Test
    void replayParkedRetriesTheParkedActionOnceAndThenHasNothingToDo() throws Exception {
        String account = "acct-parked-" + UUID.randomUUID();
        pipeline.platform().failNext(1, 422);
        assertThat(post("hash-matcher", SampleTraffic.HASH_MATCH.replace("acct-1001", account)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> ops("account", account, "--json").out().contains("\"PARKED\""));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.platform().applied(account).size() == 2);
        assertThat(ops("account", account).out()).contains("PARKED").contains("422");

        Run replay = ops("replay-parked", account);
        assertThat(replay.exit()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("enforcement action").contains("REPLAY_REQUESTED").contains("was parked after HTTP 422");
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.platform().applied(account).size() == 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> !ops("account", account, "--json").out().contains("\"PARKED\""));
        Run nothing = ops("replay-parked", account);
        assertThat(nothing.exit()).isEqualTo(8);
        assertThat(nothing.err()).contains("nothing parked for account " + account);
    }

    @Test
    void topicsShowsEndOffsetsEachServicesLagAndTheDeadLetterTopics() throws Exception {
        Run run = ops("topics", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = run.json();
        assertThat(json.path("topics").path(Topics.DECISIONS.name()).path("endOffset").asLong()).isPositive();
        assertThat(json.path("topics").path(Topics.REPORTS.name()).path("records").asLong()).isPositive();
        List<String> groups = new ArrayList<>();
        json.path("lag").fieldNames().forEachRemaining(groups::add);
        assertThat(groups).anyMatch(g -> g.startsWith("cse-classifier")).anyMatch(g -> g.startsWith("cse-intake"))
                .anyMatch(g -> g.startsWith("cse-enforcement")).anyMatch(g -> g.startsWith("cse-escalation"));
        assertThat(json.path("lag").path(groups.stream().filter(g -> g.startsWith("cse-classifier")).findFirst().orElseThrow())
                .has(Topics.REPORTS.name())).isTrue();
        assertThat(json.path("deadLetters").has(Topics.CLASSIFIER_DLQ.name())).isTrue();
        assertThat(ops("topics").out()).contains("TOPIC").contains("GROUP").contains("DEAD-LETTER TOPIC");
    }

    @Test
    void anUnreachableBrokerOrRegistryAndARefusedKafkaUserAreOneLineAndTheirExitCode() throws Exception {
        Map<String, String> wrongPassword = new HashMap<>(pipeline.opsEnvironment("ops"));
        wrongPassword.put("KAFKA_PASSWORD", "not-the-password");
        Run refused = run(wrongPassword, "topics");
        assertThat(refused.exit()).isEqualTo(6);
        assertThat(refused.err().lines().toList()).hasSize(1).first().asString().contains("refused the Kafka credential");

        Map<String, String> noRegistry = new HashMap<>(pipeline.opsEnvironment("ops"));
        noRegistry.put("SCHEMA_REGISTRY_URL", "http://127.0.0.1:9/apis/ccompat/v7");
        Run registry = run(noRegistry, "tail", Topics.DECISIONS.name(), "--from-beginning", "--account", matched);
        assertThat(registry.exit()).as(registry.err()).isEqualTo(4);
        assertThat(registry.err()).contains("schema registry cannot be reached");

        Map<String, String> noBroker = new HashMap<>(pipeline.opsEnvironment("ops"));
        noBroker.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9");
        Run broker = run(noBroker, "topics");
        assertThat(broker.exit()).isEqualTo(3);
        assertThat(broker.err()).contains("the Kafka broker at 127.0.0.1:9 did not answer");

        Run usage = run(pipeline.opsEnvironment("ops"), "tail");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required parameter: '<topic>'");
        assertThat(run(pipeline.opsEnvironment("ops"), "dlq", "replay", "--help").out()).contains("--confirm").contains("Exit codes:")
                .as("the exit codes are on every command's help, not only the top one");
    }

    /** A dead letter as intake writes one, of a record at raw/2/41. */
    private RecordMetadata deadLetter(String account, byte[] original, String raw, DeadLetterReason reason) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pipeline.stack().clientConfig(), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            return producer.send(DeadLetters.record(Topics.REPORTS_RAW_DLQ.name(), account.getBytes(StandardCharsets.UTF_8), original,
                    new RecordHeaders(), new DeadLetters.Cause("intake", reason, "NullPointerException", raw, 2, 41))).get(30, TimeUnit.SECONDS);
        }
    }

    private Run ops(String... args) {
        return run(pipeline.opsEnvironment("ops"), args);
    }

    private static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = OpsCli.run(new Env(env), Clock.systemUTC(), args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private HttpResponse<String> post(String publisher, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                .header("Authorization", "Bearer " + pipeline.credentials().token(publisher))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
