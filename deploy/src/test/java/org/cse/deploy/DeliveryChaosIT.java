package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cse.enforcement.EnforcementMain;
import org.cse.escalation.EscalationMain;
import org.cse.events.Action;
import org.cse.events.ActionOutcome;
import org.cse.events.ActionType;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.OutcomeStatus;
import org.cse.events.Referral;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.Behaviour;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.EvidenceStoreSandbox;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Once under faults and kills: 1,000 decisions delivered by enforcement and escalation, each running
 * as its own JVM, while every sandbox injects 20% 503s, 5% 429s and 5% answers lost after the work was
 * done, and each service is killed with SIGKILL three times and started again. Every action is applied
 * (once: by its Idempotency-Key) with one outcome, every incident has exactly one finished NCMEC report
 * with its file attached and described, and nothing is parked.
 */
@ExtendWith(LocalStackExtension.class)
class DeliveryChaosIT {
    private static final int DECISIONS = 1000;
    private static final Pattern URL = Pattern.compile("https://platform\\.invalid/m/([^<]+)<");

    @Test
    void everyEffectOnceAndEveryReportFinishedOnceWhileEachServiceIsKilledThreeTimes(LocalStack stack) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target", "chaos-" + run));
        try (LocalPipeline environment = LocalPipeline.sandboxesOnly(stack)) {
            Behaviour faulty = Behaviour.latency(Duration.ofMillis(5), Duration.ofMillis(5)).withFaults(0.20, 0.05, 0.05);
            environment.platform().behave(faulty);
            environment.ncmec().behave(faulty);
            environment.hotline().behave(faulty);
            environment.evidence().behave(faulty);

            Map<String, Decision> decisions = new HashMap<>();
            List<String> actionIds = new ArrayList<>();
            try (KafkaProducer<String, Decision> producer = stack.producer(Topics.DECISIONS)) {
                for (int i = 0; i < DECISIONS; i++) {
                    String account = "chaos-" + run + "-" + (i % 500);
                    Decision decision = decision(account, "dec-" + run + "-" + i, i < 500);
                    decisions.put(decision.getDecisionId(), decision);
                    decision.getActions().forEach(action -> actionIds.add(action.getActionId()));
                    producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, decision));
                }
            }

            ServiceProcess enforcement = new ServiceProcess("enforcement", EnforcementMain.class,
                    env(environment, "enforcement", run, logs), logs);
            ServiceProcess escalation = new ServiceProcess("escalation", EscalationMain.class,
                    env(environment, "escalation", run, logs), logs);
            try {
                enforcement.start();
                escalation.start();
                IntSupplier applied = () -> (int) environment.platform().applied().stream()
                        .filter(a -> a.accountId().startsWith("chaos-" + run)).count();
                IntSupplier finished = () -> finished(environment.ncmec(), run).size();
                // SIGKILL each service three times while it works, at a quarter, a half and three quarters of its work
                for (double share : new double[] {0.2, 0.45, 0.7}) {
                    await().atMost(Duration.ofMinutes(3)).until(() -> applied.getAsInt() >= share * actionIds.size());
                    enforcement.kill();
                    enforcement.start();
                    await().atMost(Duration.ofMinutes(3)).until(() -> finished.getAsInt() >= share * DECISIONS);
                    escalation.kill();
                    escalation.start();
                }
                await().atMost(Duration.ofMinutes(5)).until(() -> applied.getAsInt() == actionIds.size()
                        && finished.getAsInt() == DECISIONS);

                // the outputs, read while the services still run: one outcome per action, one FINISHED state per referral
                try (TopicReader<String, ActionOutcome> outcomes = stack.reader(Topics.ENFORCEMENT_OUTCOMES)) {
                    outcomes.awaitMatching(r -> r.key().startsWith("chaos-" + run), actionIds.size(), Duration.ofSeconds(60));
                    List<ConsumerRecord<String, ActionOutcome>> ours = outcomes.settle(r -> r.key().startsWith("chaos-" + run),
                            Duration.ofSeconds(3));
                    // APPLIED, or ALREADY_APPLIED where a lost answer or a kill made the call twice: the key made it harmless
                    assertThat(ours).extracting(r -> r.value().getStatus()).as("nothing parked")
                            .containsOnly(OutcomeStatus.APPLIED, OutcomeStatus.ALREADY_APPLIED);
                    assertThat(ours.stream().collect(Collectors.groupingBy(r -> r.value().getActionId(), Collectors.counting())))
                            .as("one outcome per action").hasSize(actionIds.size()).allSatisfy((id, count) -> assertThat(count).isOne());
                }
                try (TopicReader<String, ReferralState> states = stack.reader(Topics.REFERRALS)) {
                    states.awaitMatching(r -> r.value().getAccountId().startsWith("chaos-" + run)
                            && r.value().getStatus() == ReferralStatus.FINISHED, DECISIONS, Duration.ofSeconds(60));
                    List<ConsumerRecord<String, ReferralState>> ours = states.settle(r -> r.value().getAccountId()
                            .startsWith("chaos-" + run), Duration.ofSeconds(3));
                    assertThat(ours).extracting(r -> r.value().getStatus()).as("nothing parked").doesNotContain(ReferralStatus.PARKED,
                            ReferralStatus.FAILED);
                    assertThat(ours.stream().filter(r -> r.value().getStatus() == ReferralStatus.FINISHED)
                            .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting())))
                            .hasSize(DECISIONS).allSatisfy((id, count) -> assertThat(count).as(id).isOne());
                }
            } finally {
                enforcement.stop();
                escalation.stop();
            }

            assertThat(environment.platform().applied().stream().filter(a -> a.accountId().startsWith("chaos-" + run))
                    .map(a -> a.actionId()).toList()).containsExactlyInAnyOrderElementsOf(actionIds);
            // exactly one finished report per incident, each with its file
            Map<String, List<CyberTiplineSandbox.StoredReport>> byDecision = finished(environment.ncmec(), run).stream()
                    .collect(Collectors.groupingBy(DeliveryChaosIT::decisionOf));
            assertThat(byDecision.keySet()).containsExactlyInAnyOrderElementsOf(decisions.keySet());
            int duplicateUploads = 0;
            for (Map.Entry<String, List<CyberTiplineSandbox.StoredReport>> entry : byDecision.entrySet()) {
                assertThat(entry.getValue()).as(entry.getKey()).hasSize(1);
                CyberTiplineSandbox.StoredReport report = entry.getValue().get(0);
                String md5 = EvidenceStoreSandbox.md5(environment.evidence().file("media-" + entry.getKey()));
                assertThat(report.files()).as(entry.getKey()).isNotEmpty().allSatisfy(f -> assertThat(f.md5()).isEqualTo(md5));
                assertThat(report.files()).as(entry.getKey() + " described").anySatisfy(f -> assertThat(f.fileDetails()).isNotNull());
                duplicateUploads += report.files().size() - 1;
            }
            long unfinished = environment.ncmec().reports().stream().filter(r -> r.xml().contains("chaos-" + run)
                    && r.status() == CyberTiplineSandbox.Status.OPEN).count();
            System.out.printf("delivery chaos: %d decisions, %d actions applied once each (%d platform requests), %d NCMEC reports "
                            + "finished once each; %d duplicate upload(s) and %d report(s) left unfinished after lost answers or kills; "
                            + "kills: enforcement %d, escalation %d; injected faults: platform %s, ncmec %s, evidence %s%n",
                    DECISIONS, actionIds.size(), environment.platform().requests(), byDecision.size(), duplicateUploads, unfinished,
                    enforcement.kills, escalation.kills, environment.platform().injectedFaults(), environment.ncmec().injectedFaults(),
                    environment.evidence().injectedFaults());
            assertThat(enforcement.kills).isEqualTo(3);
            assertThat(escalation.kills).isEqualTo(3);
        }
    }

    private static List<CyberTiplineSandbox.StoredReport> finished(CyberTiplineSandbox ncmec, String run) {
        return ncmec.finishedReports().stream().filter(r -> r.xml().contains("chaos-" + run)).toList();
    }

    private static String decisionOf(CyberTiplineSandbox.StoredReport report) {
        Matcher matcher = URL.matcher(report.xml());
        return matcher.find() ? matcher.group(1) : "?";
    }

    private static Map<String, String> env(LocalPipeline environment, String service, String run, Path logs) throws IOException {
        Map<String, String> env = new HashMap<>(environment.environment(service));
        String prefix = service.toUpperCase(java.util.Locale.ROOT);
        env.put(prefix + "_GROUP_ID", "cse-" + service + "-chaos-" + run);
        // one state directory across restarts, as a pod's volume would be
        env.put(prefix + "_STATE_DIR", Files.createDirectories(logs.resolve(service + "-state")).toAbsolutePath().toString());
        env.put(prefix + "_BACKOFF_INITIAL", "PT0.1S");
        env.put(prefix + "_BACKOFF_MAX", "PT2S");
        env.put("LOG_FORMAT", "plain");
        return env;
    }

    /** A confirmed depiction: actions at the platform and an NCMEC report with one file. */
    private static Decision decision(String account, String decisionId, boolean first) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<Action> actions = new ArrayList<>();
        for (ActionType type : first ? List.of(ActionType.SUSPEND_PERMANENTLY, ActionType.REMOVE_CONTENT)
                : List.of(ActionType.REMOVE_CONTENT)) {
            actions.add(Action.newBuilder().setActionId(decisionId + "/" + type).setType(type)
                    .setContentIds(type == ActionType.REMOVE_CONTENT ? List.of("media-" + decisionId) : List.of()).build());
        }
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId(decisionId).setAccountId(account)
                .setPolicyVersion("chaos").setRuleId("confirmed-malicious").setReason("chaos test").setCategory(Category.VISUAL_DEPICTION)
                .setConfirmation(ConfirmationSource.REVIEWER_VERDICT).setReportedAt(now).setKnowledgeAt(now).setDecidedAt(now)
                .setActions(actions)
                .setContent(List.of(ContentRef.newBuilder().setContentId("media-" + decisionId).setKind(ContentKind.POST)
                        .setFileName("image.jpg").setUrl("https://platform.invalid/m/" + decisionId)
                        .setHashes(List.of(ContentHash.newBuilder().setAlgorithm("MD5").setValue("5d41402abc4b2a76b9719d911017c592").build()))
                        .build()))
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)").build()))
                .build();
    }

    /** A service in its own JVM, on the test's class path, with its environment; killed with SIGKILL. */
    private static final class ServiceProcess {
        private final String name;
        private final Class<?> main;
        private final Map<String, String> env;
        private final Path logs;
        private Process process;
        private int starts;
        int kills;

        ServiceProcess(String name, Class<?> main, Map<String, String> env, Path logs) {
            this.name = name;
            this.main = main;
            this.env = env;
            this.logs = logs;
        }

        void start() throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            // its temp folder next to its logs: a killed JVM leaves RocksDB's 15 MB native library copy behind
            Path temp = Files.createDirectories(logs.resolve("tmp"));
            ProcessBuilder builder = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC",
                    "-Djava.io.tmpdir=" + temp.toAbsolutePath(), "-cp", System.getProperty("java.class.path"), main.getName());
            builder.environment().putAll(env);
            builder.redirectErrorStream(true);
            File log = logs.resolve(name + "-" + (++starts) + ".log").toFile();
            builder.redirectOutput(log);
            process = builder.start();
        }

        /** SIGKILL: no shutdown hook, no flush, no commit. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
            kills++;
        }

        void stop() throws InterruptedException {
            if (process != null && process.isAlive()) {
                process.destroy();
                if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
