package org.cse.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cse.events.Category;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The escalation service alone on the real broker, against the CyberTipline sandbox: a replacement
 * instance fences one that is delivering referrals (the zombie case), and still every referral ends
 * as exactly one NCMEC report, opened once and finished once.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EscalationIT {
    private static final String USER = "escalation-it";
    private static final String PASSWORD = "escalation-it-password";
    private LocalStack stack;
    private CyberTiplineSandbox ncmec;
    private KafkaProducer<String, Decision> producer;

    @BeforeAll
    void start(LocalStack stack) {
        this.stack = stack;
        this.ncmec = new CyberTiplineSandbox(USER, PASSWORD);
        this.producer = stack.producer(Topics.DECISIONS);
    }

    @AfterAll
    void stop() {
        producer.close();
        ncmec.close();
    }

    @Test
    void aReplacementThatFencesAWorkingInstanceOpensAndFinishesEachNcmecReportOnce() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-escalation-fence-" + run;
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String account = "fence-" + run + "-" + i;
            accounts.add(account);
            producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, decision(account, "dec-" + account)));
        }
        producer.flush();
        Function<CyberTiplineSandbox.StoredReport, String> accountOf = report -> {
            String xml = report.xml();
            int start = xml.indexOf("<espIdentifier>") + "<espIdentifier>".length();
            return xml.substring(start, xml.indexOf("</espIdentifier>", start));
        };

        EscalationService first = startService(group);
        await().atMost(Duration.ofSeconds(60)).until(() -> ncmec.finishedReports().stream()
                .filter(r -> accountOf.apply(r).startsWith("fence-" + run)).count() >= 50);
        // A replacement with the same instance id fences the first one's transactions: every decision the
        // first handled but had not committed is handled again by the second.
        try (EscalationService second = startService(group)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !first.isReady());
            first.close();
            await().atMost(Duration.ofSeconds(90)).until(() -> ncmec.finishedReports().stream()
                    .filter(r -> accountOf.apply(r).startsWith("fence-" + run)).count() == accounts.size());
            // and nothing more is opened once every referral is through
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> ncmec.reports().stream()
                    .filter(r -> accountOf.apply(r).startsWith("fence-" + run)).count() == accounts.size());
        }
        Map<String, List<CyberTiplineSandbox.StoredReport>> byAccount = ncmec.reports().stream()
                .filter(r -> accountOf.apply(r).startsWith("fence-" + run)).collect(Collectors.groupingBy(accountOf));
        assertThat(byAccount.keySet()).containsExactlyInAnyOrderElementsOf(accounts);
        assertThat(byAccount).allSatisfy((account, reports) -> assertThat(reports).as(account)
                .extracting(CyberTiplineSandbox.StoredReport::status).containsExactly(CyberTiplineSandbox.Status.FINISHED));
    }

    private EscalationService startService(String group) {
        EscalationService service = new EscalationService(EscalationConfig.from(new Env(stack.environment("escalation",
                "ESCALATION_MANAGEMENT_HOST", "127.0.0.1",
                "ESCALATION_MANAGEMENT_PORT", "0",
                "ESCALATION_GROUP_ID", group,
                "ESCALATION_INSTANCE_ID", "it",
                "NCMEC_API_URL", ncmec.apiUrl(),
                "NCMEC_USERNAME", USER,
                "NCMEC_PASSWORD", PASSWORD,
                "NCMEC_REPORTER_FIRST_NAME", "Trust",
                "NCMEC_REPORTER_LAST_NAME", "Safety",
                "NCMEC_REPORTER_EMAIL", "cse@platform.invalid"))));
        service.start();
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        return service;
    }

    private static Decision decision(String account, String decisionId) {
        Instant now = Instant.now();
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId(decisionId).setAccountId(account)
                .setPolicyVersion("it").setRuleId("IT").setReason("escalation test").setCategory(Category.VISUAL_DEPICTION)
                .setReportedAt(now).setKnowledgeAt(now).setDecidedAt(now)
                .setContent(List.of(ContentRef.newBuilder().setContentId("media-1").setUrl("https://platform.invalid/m/1").build()))
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)").build()))
                .build();
    }
}
