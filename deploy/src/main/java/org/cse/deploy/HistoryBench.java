package org.cse.deploy;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cse.escalation.EscalationConfig;
import org.cse.escalation.EscalationService;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;
import org.cse.localstack.LocalStack;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;

/**
 * Escalation's cost against its history ({@code ./bench.sh history}): the drain rate of
 * {@code BENCH_REPORTS} decisions (default 3000, each an NCMEC report with one file, sandboxes answering
 * at once) with an empty state, then again after {@code BENCH_HISTORY} earlier referrals (default
 * 1,000,000; finished NCMEC reports of 250,000 accounts, loaded as the previous release left them on
 * {@code cse.referrals.v1}) are in its state, for accounts that have such history (so every report
 * looks its earlier reports up). Prints both rates, their ratio, the heap in use after a full GC and
 * the state directory's size, and writes them as JSON to {@code bench/results/}.
 */
final class HistoryBench {
    private static final int HISTORY_ACCOUNTS = 250_000;

    private HistoryBench() {
    }

    static void run(LocalStack stack, PrintStream out) throws Exception {
        int reports = Integer.parseInt(System.getenv().getOrDefault("BENCH_REPORTS", "3000"));
        int history = Integer.parseInt(System.getenv().getOrDefault("BENCH_HISTORY", "1000000"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (LocalPipeline environment = LocalPipeline.sandboxesOnly(stack)) {
            Map<String, String> env = new HashMap<>(environment.environment("escalation"));
            env.put("ESCALATION_GROUP_ID", "cse-escalation-history-" + run);
            // its state in the environment's own folder (ESCALATION_STATE_DIR), deleted when the environment closes
            Map<String, Object> figures = new LinkedHashMap<>();

            EscalationService escalation = start(env);
            try {
                drain(stack, environment, escalation, "warmup-" + run, Math.min(500, reports), out, new LinkedHashMap<>());
                figures.put("empty", drain(stack, environment, escalation, "empty-" + run, reports, out, new LinkedHashMap<>()));
            } finally {
                escalation.close();
            }

            Instant loading = Instant.now();
            load(stack, run, history);
            out.printf("loaded %,d earlier referrals of %,d accounts on %s in %.1f s%n", history, HISTORY_ACCOUNTS,
                    Topics.REFERRALS.name(), Duration.between(loading, Instant.now()).toMillis() / 1000.0);
            Instant restoring = Instant.now();
            escalation = start(env);
            double restore = Duration.between(restoring, Instant.now()).toMillis() / 1000.0;
            out.printf("escalation ready with that history in its state after %.1f s%n", restore);
            try {
                Map<String, Object> withHistory = new LinkedHashMap<>();
                withHistory.put("ready_after_s", restore);
                // accounts that have history: each report looks up and names its account's earlier reports
                figures.put("history", drain(stack, environment, escalation, "hist-" + run, reports, out, withHistory));
                // proof that the history was in the state: each report names its account's earlier reports (ids from 10,000,000)
                long naming = environment.ncmec().finishedReports().stream().filter(r -> r.xml().contains("dec-hist-" + run))
                        .filter(r -> r.xml().contains("<priorCTReports>1")).count();
                long priorIds = environment.ncmec().finishedReports().stream().filter(r -> r.xml().contains("dec-hist-" + run))
                        .mapToLong(r -> r.xml().split("<priorCTReports>1", -1).length - 1).sum();
                out.printf("%d of %d reports named their account's earlier reports (%d earlier report ids in all)%n", naming, reports,
                        priorIds);
                withHistory.put("reports_naming_earlier_reports", naming);
                withHistory.put("earlier_report_ids_named", priorIds);
            } finally {
                escalation.close();
            }
            double empty = (double) ((Map<?, ?>) figures.get("empty")).get("per_second");
            double full = (double) ((Map<?, ?>) figures.get("history")).get("per_second");
            out.printf("%nhistory: %,d reports drained at %.0f/s with an empty state, %.0f/s with %,d earlier referrals: ratio %.2f%n",
                    reports, empty, full, history, full / empty);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("mode", "history");
            json.put("at", Instant.now().toString());
            json.put("machine", Bench.machine());
            json.put("settings", Map.of("reports", reports, "history", history, "history_accounts", HISTORY_ACCOUNTS,
                    "sandbox_latency_ms", 0));
            json.put("figures", figures);
            json.put("history_ratio", Math.round(full / empty * 100) / 100.0);
            out.println("written: " + Bench.write("history", json));
        }
    }

    private static EscalationService start(Map<String, String> env) {
        EscalationService service = new EscalationService(EscalationConfig.from(new Env(env)));
        service.start();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
        try {
            while (!service.isReady()) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("escalation not ready within 10 minutes");
                }
                sleep(100);
            }
        } catch (RuntimeException e) {
            service.close(); // the caller gets no service to close: its Streams client and HTTP server go here
            throw e;
        }
        return service;
    }

    /** Produces {@code count} decisions at once and times their NCMEC reports to finished. */
    private static Map<String, Object> drain(LocalStack stack, LocalPipeline environment, EscalationService escalation, String label,
                                             int count, PrintStream out, Map<String, Object> figures) {
        long before = environment.ncmec().finishedReports().size();
        Instant start = Instant.now();
        try (KafkaProducer<String, Decision> producer = stack.producer(Topics.DECISIONS)) {
            for (int i = 0; i < count; i++) {
                // history accounts are hist-<i>: the 1M earlier referrals are spread over them
                String account = label.startsWith("hist-") ? "hist-" + (i * 83 % HISTORY_ACCOUNTS) : label + "-" + i;
                producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, decision(account, "dec-" + label + "-" + i)));
            }
        }
        Instant deadline = start.plus(Duration.ofMinutes(15));
        while (environment.ncmec().finishedReports().size() < before + count && Instant.now().isBefore(deadline)) {
            sleep(100);
        }
        double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        long finished = environment.ncmec().finishedReports().size() - before;
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        double perSecond = Math.round(finished / seconds * 10) / 10.0;
        if (!label.startsWith("warmup")) {
            out.printf("%s: %d of %d NCMEC reports finished in %.1f s: %.1f/s; heap in use after GC %d MiB%n", label, finished, count,
                    seconds, perSecond, heap >> 20);
        }
        figures.put("reports", count);
        figures.put("finished", finished);
        figures.put("seconds", seconds);
        figures.put("per_second", perSecond);
        figures.put("heap_after_gc_mib", heap >> 20);
        return figures;
    }

    /** What the previous release left: each referral BUILT, SUBMITTED and FINISHED (compacted to the last). */
    private static void load(LocalStack stack, String run, int history) throws Exception {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<String, ReferralState> producer = new KafkaProducer<>(config, Topics.REFERRALS.keySerde().serializer(),
                Topics.REFERRALS.valueSerde(stack.registryClient()).serializer())) {
            Instant at = Instant.now().minus(Duration.ofDays(100)).truncatedTo(ChronoUnit.MILLIS);
            for (int i = 0; i < history; i++) {
                String account = "hist-" + (i % HISTORY_ACCOUNTS);
                String decision = "dec-old-" + run + "-" + i;
                producer.send(new ProducerRecord<>(Topics.REFERRALS.name(), decision + "/NCMEC", ReferralState.newBuilder()
                        .setReferralId(decision + "/NCMEC").setDecisionId(decision).setIncidentId(decision).setAccountId(account)
                        .setTarget(ReferralTarget.NCMEC).setStatus(ReferralStatus.FINISHED).setExternalReportId(Integer.toString(10_000_000 + i))
                        .setAttempts(1).setKnowledgeAt(at).setUpdatedAt(at).build()));
            }
            producer.flush();
        }
    }

    private static Decision decision(String account, String decisionId) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId(decisionId).setAccountId(account)
                .setPolicyVersion("bench").setRuleId("confirmed-malicious").setReason("history bench").setCategory(Category.VISUAL_DEPICTION)
                .setConfirmation(ConfirmationSource.VERIFIED_HASH_MATCH).setReportedAt(now).setKnowledgeAt(now).setDecidedAt(now)
                .setContent(List.of(ContentRef.newBuilder().setContentId("media-" + decisionId).setKind(ContentKind.MEDIA)
                        .setUrl("https://platform.invalid/m/" + decisionId)
                        .setHashes(List.of(ContentHash.newBuilder().setAlgorithm("MD5").setValue("5d41402abc4b2a76b9719d911017c592").build()))
                        .build()))
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)").build()))
                .build();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
