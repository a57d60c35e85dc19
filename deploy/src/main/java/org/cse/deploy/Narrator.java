package org.cse.deploy;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.cse.events.ActionOutcome;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ReferralState;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.localstack.TopicReader;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;

/**
 * Tells what happens on the pipeline's topics in plain words, as it happens: for the local run. Ids,
 * statuses and reasons only, never report content.
 */
final class Narrator implements AutoCloseable {
    private interface Line<V> {
        String say(V value);
    }

    private record Watch<V>(TopicReader<String, V> reader, Line<V> line) {
        void pollInto(List<String> out) {
            for (ConsumerRecord<String, V> record : reader.poll(Duration.ofMillis(50))) {
                out.add(line.say(record.value()));
            }
        }
    }

    private final List<Watch<?>> watches = new ArrayList<>();
    private final List<TopicReader<byte[], byte[]>> deadLetters = new ArrayList<>();
    private final PrintStream out;
    private volatile boolean running = true;
    private final Thread thread;

    /** @param clientConfig who reads the topics: the ops principal, which may read them all and write none */
    Narrator(Map<String, Object> clientConfig, SchemaRegistry registry, PrintStream out) {
        this.out = out;
        watch(clientConfig, registry, Topics.REPORTS, report -> "  report   " + report.getReportId() + " accepted: account "
                + report.getAccountId() + ", reported by " + report.getReporter().getKind()
                + (report.getReporter().getMatchListVerified() ? " (verified list " + report.getReporter().getMatchList() + ")" : ""));
        watch(clientConfig, registry, Topics.REVIEW_REQUESTS, (ReviewRequest request) -> "  review   " + request.getPriority()
                + " priority review requested for account " + request.getAccountId() + " (incident " + request.getIncidentId()
                + ", " + request.getReportIds().size() + " report(s)); no account action until a reviewer confirms");
        watch(clientConfig, registry, Topics.DECISIONS, (Decision decision) -> "  DECISION " + decision.getDecisionId()
                + " for account " + decision.getAccountId() + ": " + decision.getActions().stream().map(a -> a.getType().name())
                .collect(Collectors.joining(", ")) + "; referrals: " + decision.getReferrals().stream()
                .map(Narrator::referralName).collect(Collectors.joining(", ")) + "\n           rule "
                + decision.getRuleId() + " (policy " + decision.getPolicyVersion() + "): " + decision.getReason());
        watch(clientConfig, registry, Topics.ENFORCEMENT_OUTCOMES, (ActionOutcome outcome) -> "  platform " + outcome.getType()
                + " " + outcome.getStatus() + " for account " + outcome.getAccountId() + " (" + outcome.getAttempts()
                + " call(s), Idempotency-Key " + outcome.getActionId() + ")");
        watch(clientConfig, registry, Topics.REFERRALS, (ReferralState state) -> "  referral " + state.getTarget()
                + (state.getHostingCountry() == null ? "" : " hotline " + state.getHostingCountry()) + " " + state.getStatus()
                + (state.getExternalReportId() == null ? "" : " (report " + state.getExternalReportId() + ")")
                + " for account " + state.getAccountId() + (state.getError() == null ? "" : ": " + state.getError()));
        for (Topic<byte[], byte[]> dlq : List.of(Topics.REPORTS_RAW_DLQ, Topics.CLASSIFIER_DLQ, Topics.ENFORCEMENT_DLQ,
                Topics.ESCALATION_DLQ)) {
            deadLetters.add(new TopicReader<>(clientConfig, dlq.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        }
        this.thread = new Thread(this::run, "narrator");
        this.thread.setDaemon(true);
    }

    private static String referralName(Referral referral) {
        return referral.getTarget() == org.cse.events.ReferralTarget.INHOPE ? "INHOPE " + referral.getHostingCountry() : "NCMEC";
    }

    private <V> void watch(Map<String, Object> clientConfig, SchemaRegistry registry, Topic<String, V> topic, Line<V> line) {
        Deserializer<V> values = topic.valueSerde(registry).deserializer();
        watches.add(new Watch<>(new TopicReader<>(clientConfig, topic.name(), topic.keySerde().deserializer(), values), line));
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            List<String> lines = new ArrayList<>();
            try {
                for (Watch<?> watch : watches) {
                    watch.pollInto(lines);
                }
                for (TopicReader<byte[], byte[]> reader : deadLetters) {
                    for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(50))) {
                        lines.add("  DEAD LETTER on " + record.topic() + ": " + DeadLetters.header(record.headers(), DeadLetters.REASON)
                                + " - " + DeadLetters.header(record.headers(), DeadLetters.DETAIL));
                    }
                }
            } catch (RuntimeException e) {
                if (running) {
                    lines.add("  (narrator: " + e.getMessage() + ")");
                }
            }
            lines.forEach(out::println);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watches.forEach(watch -> watch.reader().close());
        deadLetters.forEach(TopicReader::close);
    }
}
