package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.cse.events.Decision;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.schemas.Topics;
import org.cse.schemas.RuleId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A restart of the classifier in the middle of a stream, on the real broker: no decision lost, none
 * repeated. Its own class, so that no other classifier instance reads the same reports meanwhile.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClassifierRestartIT {
    private ClassifierHarness harness;

    @BeforeAll
    void start(LocalStack stack) {
        this.harness = new ClassifierHarness(stack);
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    void aRestartMidStreamLosesAndRepeatsNoDecision() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String applicationId = "cse-classifier-restart-" + run;
        int accounts = 30;
        int perAccount = 10;
        ClassifierService first = harness.startClassifier(applicationId);
        sendReports(run, 0, accounts, 0, perAccount / 2);
        try (TopicReader<String, Decision> decisions = harness.decisions()) {
            // stop as soon as the first decisions are out, whatever is still in flight; more reports arrive while it is down
            decisions.awaitMatching(r -> r.key().startsWith("restart-" + run), 20, Duration.ofSeconds(60));
            first.close();
            sendReports(run, 0, accounts, perAccount / 2, perAccount);
            ClassifierService second = harness.startClassifier(applicationId);
            try {
                var all = decisions.awaitMatching(r -> r.key().startsWith("restart-" + run), accounts * perAccount, Duration.ofSeconds(90));
                all = decisions.settle(r -> r.key().startsWith("restart-" + run), Duration.ofSeconds(5));
                Set<String> ids = all.stream().map(r -> r.value().getDecisionId()).collect(Collectors.toSet());
                assertThat(all).hasSize(accounts * perAccount);
                assertThat(ids).hasSize(accounts * perAccount);
                // per account: the first confirmed violation suspends, every later one only removes
                Map<String, Long> suspensions = new HashMap<>();
                for (ConsumerRecord<String, Decision> record : all) {
                    if (record.value().getRuleId().equals(RuleId.CONFIRMED_MALICIOUS.id())) {
                        suspensions.merge(record.key(), 1L, Long::sum);
                    }
                }
                assertThat(suspensions).hasSize(accounts).allSatisfy((account, count) -> assertThat(count).isEqualTo(1L));
            } finally {
                second.close();
            }
        }
    }

    private void sendReports(String run, int fromAccount, int toAccount, int fromReport, int toReport) {
        for (int a = fromAccount; a < toAccount; a++) {
            String account = "restart-" + run + "-" + a;
            for (int i = fromReport; i < toReport; i++) {
                harness.sendAsync(Topics.REPORTS, account, Fixtures.hashMatch("r-" + account + "-" + i, account, "post-" + i));
            }
        }
        harness.flush();
    }
}
