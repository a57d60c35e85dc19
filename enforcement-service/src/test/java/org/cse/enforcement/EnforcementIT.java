package org.cse.enforcement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cse.events.Action;
import org.cse.events.ActionOutcome;
import org.cse.events.ActionType;
import org.cse.events.Decision;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The enforcement service alone on the real broker, against the platform sandbox: partitions handled
 * in parallel without reordering one account's actions, and a replacement instance fencing a working
 * one (the zombie case) without an action applied twice or an outcome published twice.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnforcementIT {
    private static final String TOKEN = "enforcement-it-token";
    private LocalStack stack;
    private PlatformSandbox platform;
    private KafkaProducer<String, Decision> producer;

    @BeforeAll
    void start(LocalStack stack) {
        this.stack = stack;
        this.platform = new PlatformSandbox(TOKEN);
        this.producer = stack.producer(Topics.DECISIONS);
    }

    @AfterAll
    void stop() {
        producer.close();
        platform.close();
    }

    @Test
    void oneAccountsActionsKeepTheirOrderWhilePartitionsRunInParallel() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
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
            await().atMost(Duration.ofSeconds(60)).until(() -> accounts.stream().allMatch(a -> platform.applied(a).size() == 4));
        }
        for (String account : accounts) {
            assertThat(platform.applied(account)).extracting(PlatformSandbox.AppliedAction::type).as(account)
                    .containsExactly("SUSPEND_PERMANENTLY", "REMOVE_CONTENT", "REINSTATE_ACCOUNT", "TEMPORARY_LOCK");
        }
    }

    @Test
    void aReplacementThatFencesAWorkingInstanceAppliesEveryActionOnceAndPublishesOneOutcomeEach() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-enforcement-restart-" + run;
        List<String> actionIds = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Decision decision = decision("restart-" + run + "-" + i, "dec-" + run + "-" + i, ActionType.SUSPEND_PERMANENTLY,
                    ActionType.REMOVE_CONTENT);
            decision.getActions().forEach(action -> actionIds.add(action.getActionId()));
            send(decision);
        }
        producer.flush();
        Function<PlatformSandbox.AppliedAction, Boolean> ours = action -> action.accountId().startsWith("restart-" + run);

        EnforcementService first = startService(group);
        await().atMost(Duration.ofSeconds(60)).until(() -> platform.applied().stream().filter(ours::apply).count() >= 100);
        // A replacement with the same instance id starts while the first is still working: it fences the
        // first one's transactions, so whatever the first applied but had not committed is handled again.
        try (EnforcementService second = startService(group)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !first.isReady());
            first.close();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> platform.applied().stream().filter(ours::apply).count() == actionIds.size());
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
        assertThat(platform.applied().stream().filter(ours::apply).map(PlatformSandbox.AppliedAction::actionId).distinct().count())
                .isEqualTo(actionIds.size());
    }

    private EnforcementService startService(String group) {
        EnforcementService service = new EnforcementService(EnforcementConfig.from(new Env(stack.environment("enforcement",
                "ENFORCEMENT_MANAGEMENT_HOST", "127.0.0.1",
                "ENFORCEMENT_MANAGEMENT_PORT", "0",
                "ENFORCEMENT_GROUP_ID", group,
                "ENFORCEMENT_INSTANCE_ID", "it",
                "PLATFORM_API_URL", platform.baseUrl(),
                "PLATFORM_API_TOKEN", TOKEN))));
        service.start();
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        return service;
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
                .setPolicyVersion("it").setRuleId("IT").setReason("enforcement test").setReportedAt(now).setDecidedAt(now)
                .setActions(actions).build();
    }
}
