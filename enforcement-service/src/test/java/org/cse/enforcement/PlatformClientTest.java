package org.cse.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.Decision;
import org.cse.events.OutcomeStatus;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PlatformClientTest {
    private final PlatformSandbox platform = new PlatformSandbox("secret-token");
    private final PlatformClient client = client("secret-token");

    @AfterEach
    void stop() {
        platform.close();
    }

    @Test
    void appliesAnActionOnceAndRecognisesAReplay() throws Exception {
        Decision decision = decision("acct-1", ActionType.SUSPEND_PERMANENTLY);

        PlatformClient.Result first = client.apply(decision, decision.getActions().get(0));
        PlatformClient.Result again = client.apply(decision, decision.getActions().get(0));

        assertThat(first.status()).isEqualTo(OutcomeStatus.APPLIED);
        assertThat(again.status()).isEqualTo(OutcomeStatus.ALREADY_APPLIED);
        assertThat(platform.applied("acct-1")).hasSize(1);
    }

    @Test
    void aLostResponseIsRetriedWithTheSameKeyAndAppliedOnce() throws Exception {
        platform.loseResponseNext(1);
        Decision decision = decision("acct-2", ActionType.REMOVE_CONTENT);

        PlatformClient.Result result = client.apply(decision, decision.getActions().get(0));

        assertThat(result.status()).isEqualTo(OutcomeStatus.ALREADY_APPLIED);
        assertThat(result.attempts()).isEqualTo(2);
        assertThat(platform.applied("acct-2")).hasSize(1);
    }

    @Test
    void transientFailuresAreRetriedUntilApplied() throws Exception {
        platform.failNext(2, 503);
        Decision decision = decision("acct-3", ActionType.BAN_IDENTIFIERS);

        PlatformClient.Result result = client.apply(decision, decision.getActions().get(0));

        assertThat(result.status()).isEqualTo(OutcomeStatus.APPLIED);
        assertThat(result.attempts()).isEqualTo(3);
    }

    @Test
    void rateLimitingHonoursRetryAfter() throws Exception {
        platform.failNext(1, 429);
        Decision decision = decision("acct-4", ActionType.SUSPEND_PERMANENTLY);

        assertThat(client.apply(decision, decision.getActions().get(0)).status()).isEqualTo(OutcomeStatus.APPLIED);
    }

    @Test
    void anOutageLongerThanTheRetryBudgetIsReportedAsFailed() throws Exception {
        platform.failNext(100, 500);
        Decision decision = decision("acct-5", ActionType.SUSPEND_PERMANENTLY);

        PlatformClient.Result result = client.apply(decision, decision.getActions().get(0));

        assertThat(result.status()).isEqualTo(OutcomeStatus.FAILED);
        assertThat(result.attempts()).isEqualTo(4);
        assertThat(result.httpStatus()).isEqualTo(500);
        assertThat(platform.applied()).isEmpty();
    }

    @Test
    void aRefusalIsFinalAndNotRetried() throws Exception {
        PlatformClient badToken = client("wrong-token");
        Decision decision = decision("acct-6", ActionType.SUSPEND_PERMANENTLY);

        PlatformClient.Result result = badToken.apply(decision, decision.getActions().get(0));

        assertThat(result.status()).isEqualTo(OutcomeStatus.REJECTED);
        assertThat(result.httpStatus()).isEqualTo(401);
        assertThat(result.attempts()).isEqualTo(1);
    }

    private PlatformClient client(String token) {
        return new PlatformClient(URI.create(platform.baseUrl()), token, Duration.ofSeconds(2), 4, Duration.ofMillis(10),
                Duration.ofMillis(50));
    }

    static Decision decision(String account, ActionType type) {
        String decisionId = "dec-" + account;
        return Decision.newBuilder()
                .setDecisionId(decisionId).setIncidentId("inc-" + account).setAccountId(account)
                .setPolicyVersion("test").setRuleId("rule").setReason("test reason")
                .setReportedAt(Instant.parse("2026-11-25T10:00:00Z")).setDecidedAt(Instant.parse("2026-11-25T10:00:01Z"))
                .setActions(List.of(Action.newBuilder().setActionId(decisionId + "/" + type).setType(type)
                        .setContentIds(List.of("post-1")).build()))
                .build();
    }
}
