package org.cse.enforcement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.cse.events.Action;
import org.cse.events.ActionOutcome;
import org.cse.events.ActionType;
import org.cse.events.Decision;
import org.cse.events.OutcomeStatus;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TempDirs;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.Behaviour;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The enforcement service alone on the real broker, against the platform sandbox: actions of many
 * accounts in flight at once while each account's stay in order, an instance replaced mid-run, an
 * outage longer than {@code max.poll.interval.ms}, a refusal parked and replayed by an operator, and
 * a takeover from the previous release's consumer group without calling anything it had done.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnforcementIT {
    private static final String TOKEN = "enforcement-it-token";
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private PlatformSandbox platform;
    private KafkaProducer<String, Decision> producer;
    private LocalCredentials credentials;
    /** The credential files and every service's state folder: deleted after the class's tests. */
    private java.nio.file.Path temp;

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        this.stack = stack;
        this.platform = new PlatformSandbox(TOKEN);
        this.producer = stack.producer(Topics.DECISIONS);
        this.temp = Files.createTempDirectory("enforcement-it");
        this.credentials = LocalCredentials.create(temp);
    }

    @BeforeEach
    void prompt() {
        platform.behave(Behaviour.PROMPT);
    }

    @AfterAll
    void stop() {
        producer.close();
        platform.close();
        TempDirs.delete(temp); // each test closes the services it starts
    }

    @Test
    void manyAccountsAreInFlightAtOnceWhileEachAccountsActionsKeepTheirOrder() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // a slow platform that also fails now and then: the order per account must survive retries
        platform.behave(Behaviour.latency(Duration.ofMillis(50), Duration.ofMillis(20)).withFaults(0.2, 0.05, 0.05));
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String account = "order-" + run + "-" + i;
            accounts.add(account);
            send(decision(account, "dec-1-" + account, ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT));
            send(decision(account, "dec-2-" + account, ActionType.REINSTATE_ACCOUNT));
            send(decision(account, "dec-3-" + account, ActionType.TEMPORARY_LOCK));
        }
        producer.flush();

        try (EnforcementService service = startService("cse-enforcement-order-" + run)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> accounts.stream().allMatch(a -> platform.applied(a).size() == 4));
        }
        for (String account : accounts) {
            assertThat(platform.applied(account)).extracting(PlatformSandbox.AppliedAction::type).as(account)
                    .containsExactly("SUSPEND_PERMANENTLY", "REMOVE_CONTENT", "REINSTATE_ACCOUNT", "TEMPORARY_LOCK");
        }
        assertThat(platform.injectedFaults().values().stream().mapToLong(Long::longValue).sum()).as("faults were injected").isPositive();
    }

    @Test
    void aReplacedInstanceLeavesEveryActionAppliedOnceAndOneOutcomeEach() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-enforcement-restart-" + run;
        platform.behave(Behaviour.latency(Duration.ofMillis(20), Duration.ofMillis(20)).withFaults(0, 0, 0.05));
        List<String> actionIds = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Decision decision = decision("restart-" + run + "-" + i, "dec-" + run + "-" + i, ActionType.SUSPEND_PERMANENTLY,
                    ActionType.REMOVE_CONTENT);
            decision.getActions().forEach(action -> actionIds.add(action.getActionId()));
            send(decision);
        }
        producer.flush();

        EnforcementService first = startService(group);
        await().atMost(Duration.ofSeconds(60)).until(() -> ours(run).size() >= 100);
        // a second instance joins while the first works, then the first goes: partitions and their state move twice
        try (EnforcementService second = startService(group)) {
            first.close();
            await().atMost(Duration.ofSeconds(90)).until(() -> ours(run).size() == actionIds.size());
            try (TopicReader<String, ActionOutcome> outcomes = stack.reader(Topics.ENFORCEMENT_OUTCOMES)) {
                outcomes.awaitMatching(r -> r.key().startsWith("restart-" + run), actionIds.size(), Duration.ofSeconds(60));
                List<ConsumerRecord<String, ActionOutcome>> all = outcomes.settle(r -> r.key().startsWith("restart-" + run),
                        Duration.ofSeconds(3));
                Map<String, Long> perAction = all.stream()
                        .collect(Collectors.groupingBy(r -> r.value().getActionId(), HashMap::new, Collectors.counting()));
                assertThat(perAction.keySet()).containsExactlyInAnyOrderElementsOf(actionIds);
                assertThat(perAction).allSatisfy((action, count) -> assertThat(count).as(action).isEqualTo(1L));
            }
        }
        assertThat(ours(run).stream().map(PlatformSandbox.AppliedAction::actionId).distinct().count()).isEqualTo(actionIds.size());
    }

    @Test
    void anOutageLongerThanTheMaxPollIntervalIsWaitedOutWithoutARebalanceAndAppliedInOrder() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (EnforcementService service = startService("cse-enforcement-outage-" + run, "KAFKA_MAX_POLL_INTERVAL_MS", "10000")) {
            platform.behave(Behaviour.PROMPT.withFaults(1.0, 0, 0));
            List<String> accounts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String account = "outage-" + run + "-" + i;
                accounts.add(account);
                send(decision(account, "dec-1-" + account, ActionType.SUSPEND_PERMANENTLY));
                send(decision(account, "dec-2-" + account, ActionType.REINSTATE_ACCOUNT));
            }
            producer.flush();
            // down for two and a half max.poll.intervals
            await().pollDelay(Duration.ofSeconds(25)).atMost(Duration.ofSeconds(30)).until(() -> true);
            assertThat(accounts.stream().mapToLong(a -> platform.applied(a).size()).sum()).isZero();
            platform.behave(Behaviour.PROMPT);

            await().atMost(Duration.ofSeconds(120)).until(() -> accounts.stream().allMatch(a -> platform.applied(a).size() == 2));
            for (String account : accounts) {
                assertThat(platform.applied(account)).extracting(PlatformSandbox.AppliedAction::type).as(account)
                        .containsExactly("SUSPEND_PERMANENTLY", "REINSTATE_ACCOUNT");
            }
            String metrics = get("http://127.0.0.1:" + service.managementPort() + "/metrics", null).body();
            assertThat(metric(metrics, "cse_executor_rebalances_total")).as("the executor kept its partitions").isZero();
            assertThat(metric(metrics, "cse_delivery_rebalances_total")).as("the state machine kept its partitions").isZero();
            assertThat(metric(metrics, "cse_enforcement_parked_actions")).as("nothing parked within the budget").isZero();
        }
    }

    @Test
    void aRefusalIsParkedWithItsCodeShownToOperatorsAndAReplayAfterTheFixAppliesItOnce() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String account = "parked-" + run;
        Decision decision = decision(account, "dec-" + run, ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT);
        String suspension = decision.getActions().get(0).getActionId();
        platform.refuse(suspension, 422);
        try (EnforcementService service = startService("cse-enforcement-parked-" + run)) {
            send(decision);
            producer.flush();
            String base = "http://127.0.0.1:" + service.httpPort() + "/v1/deliveries/" + account;
            String operator = "Bearer " + credentials.operatorToken();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(base, operator).body().contains("\"PARKED\""));
            // the action after the refused one was not held back
            await().atMost(Duration.ofSeconds(30)).until(() -> platform.applied(account).size() == 1);

            HttpResponse<String> lookup = get(base, operator);
            assertThat(lookup.statusCode()).isEqualTo(200);
            assertThat(lookup.body()).contains("\"lastHttpStatus\":422").contains("HTTP 422: account not actionable");
            String metrics = get("http://127.0.0.1:" + service.managementPort() + "/metrics", null).body();
            assertThat(metric(metrics, "cse_enforcement_parked_actions")).isEqualTo(1.0);
            assertThat(get(base, null).statusCode()).as("operators only").isEqualTo(401);
            assertThat(post(base + "/replay", operator, "{\"itemId\": \"" + decision.getActions().get(1).getActionId() + "\"}")
                    .statusCode()).as("only a parked item is replayed").isEqualTo(409);

            platform.accept(suspension);
            HttpResponse<String> replay = post(base + "/replay", operator, "{\"itemId\": \"" + suspension + "\"}");
            assertThat(replay.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> platform.applied(account).size() == 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(get("http://127.0.0.1:" + service.managementPort() + "/metrics",
                    null).body(), "cse_enforcement_parked_actions") == 0.0);
            assertThat(get(base, operator).body()).contains("\"replayedBy\":\"oncall\"").doesNotContain("\"PARKED\"");
        }
        assertThat(platform.applied(account)).extracting(PlatformSandbox.AppliedAction::actionId).containsOnlyOnce(suspension);
        try (TopicReader<String, ActionOutcome> outcomes = stack.reader(Topics.ENFORCEMENT_OUTCOMES)) {
            assertThat(outcomes.awaitMatching(r -> r.key().equals(account) && r.value().getActionId().equals(suspension), 2,
                    Duration.ofSeconds(30))).extracting(r -> r.value().getStatus()).containsExactly(OutcomeStatus.PARKED, OutcomeStatus.APPLIED);
        }
    }

    @Test
    void takesOverThePreviousReleasesGroupWithoutRedoingWhatItDid() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-enforcement-upgrade-" + run;
        String account = "upgrade-" + run;
        Decision done = decision(account, "dec-1-" + run, ActionType.SUSPEND_PERMANENTLY);
        Decision appliedNotCommitted = decision(account, "dec-2-" + run, ActionType.REMOVE_CONTENT);
        Decision fresh = decision(account, "dec-3-" + run, ActionType.BAN_IDENTIFIERS);
        // What the previous release left: three decisions read, the first two applied and their outcomes published,
        // but its group committed only past the first (it stopped before committing the second).
        RecordMetadata first = producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, done)).get(10, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, appliedNotCommitted)).get(10, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, fresh)).get(10, TimeUnit.SECONDS);
        try (KafkaProducer<String, ActionOutcome> outcomes = stack.producer(Topics.ENFORCEMENT_OUTCOMES)) {
            for (Decision decision : List.of(done, appliedNotCommitted)) {
                Action action = decision.getActions().get(0);
                platform.appliedBefore(account, action.getActionId(), decision.getDecisionId(), action.getType().name());
                outcomes.send(new ProducerRecord<>(Topics.ENFORCEMENT_OUTCOMES.name(), account, ActionOutcome.newBuilder()
                        .setActionId(action.getActionId()).setDecisionId(decision.getDecisionId()).setAccountId(account)
                        .setType(action.getType()).setStatus(OutcomeStatus.APPLIED).setAttempts(1).setAt(Instant.now()).build()))
                        .get(10, TimeUnit.SECONDS);
            }
        }
        stack.commitGroupPast(group, Topics.DECISIONS.name(), Topics.DECISIONS.partitions(), first);

        try (EnforcementService service = startService(group)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> platform.applied(account).size() == 3);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> platform.applied(account).size() == 3);
        }
        assertThat(platform.requests(done.getActions().get(0).getActionId())).as("committed: never read again").isZero();
        assertThat(platform.requests(appliedNotCommitted.getActions().get(0).getActionId()))
                .as("read again, but its outcome says it was applied: not called").isZero();
        assertThat(platform.requests(fresh.getActions().get(0).getActionId())).isEqualTo(1);
    }

    private List<PlatformSandbox.AppliedAction> ours(String run) {
        return platform.applied().stream().filter(action -> action.accountId().startsWith("restart-" + run)).toList();
    }

    private EnforcementService startService(String group, String... more) {
        List<String> env = new ArrayList<>(List.of(
                "ENFORCEMENT_HTTP_HOST", "127.0.0.1",
                "ENFORCEMENT_HTTP_PORT", "0",
                "ENFORCEMENT_MANAGEMENT_HOST", "127.0.0.1",
                "ENFORCEMENT_MANAGEMENT_PORT", "0",
                "ENFORCEMENT_GROUP_ID", group,
                "ENFORCEMENT_STATE_DIR", tempDir(),
                "ENFORCEMENT_OPERATORS_FILE", credentials.operatorsFile().toString(),
                "ENFORCEMENT_BACKOFF_INITIAL", "PT0.1S",
                "ENFORCEMENT_BACKOFF_MAX", "PT2S",
                "KAFKA_COMMIT_INTERVAL_MS", "100",
                "PLATFORM_API_URL", platform.baseUrl(),
                "PLATFORM_API_TOKEN", TOKEN));
        env.addAll(List.of(more));
        EnforcementService service = new EnforcementService(EnforcementConfig.from(new Env(stack.environment("enforcement",
                env.toArray(String[]::new)))));
        service.start();
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        return service;
    }

    /** A state folder of its own, inside the class's folder that goes after all its tests. */
    private String tempDir() {
        try {
            return Files.createTempDirectory(temp, "state").toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String authorization, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The sum of a metric's samples in a Prometheus scrape (0 when absent). */
    static double metric(String scrape, String name) {
        return scrape.lines().filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private void send(Decision decision) {
        producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), decision.getAccountId(), decision));
    }

    private static Decision decision(String account, String decisionId, ActionType... types) {
        List<Action> actions = new ArrayList<>();
        for (ActionType type : types) {
            actions.add(Action.newBuilder().setActionId(decisionId + "/" + type).setType(type)
                    .setContentIds(type == ActionType.REMOVE_CONTENT ? List.of("post-1") : List.of()).build());
        }
        Instant now = Instant.now();
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId(decisionId).setAccountId(account)
                .setPolicyVersion("it").setRuleId("confirmed-malicious").setReason("enforcement test").setReportedAt(now)
                .setDecidedAt(now).setActions(actions).build();
    }
}
