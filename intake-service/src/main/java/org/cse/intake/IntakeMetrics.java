package org.cse.intake;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counters an operator watches: reports accepted and refused, by channel and reason. */
public final class IntakeMetrics {
    private final MeterRegistry registry;

    public IntakeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers at 0, at start, the series alerts watch: a counter that first appears at 1 has no
     * increase Prometheus can see, so the first dead letter of a kind would never fire its alert.
     */
    void registerAtStart(java.util.Collection<String> publishers) {
        for (String channel : java.util.List.of("http", "kafka")) {
            accepted(channel, 0);
        }
        for (org.cse.schemas.DeadLetterReason reason : org.cse.schemas.DeadLetterReason.values()) {
            rejected("kafka", reason.name(), 0);
        }
        for (String publisher : publishers) {
            published(publisher, true, 0);
            published(publisher, false, 0);
        }
    }

    void accepted(String channel) {
        accepted(channel, 1);
    }

    private void accepted(String channel, int count) {
        Counter.builder("cse_intake_reports_accepted").description("Reports validated and stored on the reports topic")
                .tag("channel", channel).register(registry).increment(count);
    }

    /**
     * A publisher's accepted report; {@code confirmed}: a verified match, the kind that suspends without
     * review. An alert watches this per publisher for a jump far above its usual rate.
     */
    void published(String publisher, boolean confirmed) {
        published(publisher, confirmed, 1);
    }

    private void published(String publisher, boolean confirmed, int count) {
        Counter.builder("cse_intake_publisher_reports").description("Reports accepted per publisher; confirmed: verified matches")
                .tag("publisher", publisher).tag("confirmed", Boolean.toString(confirmed)).register(registry).increment(count);
    }

    void rejected(String channel, String reason) {
        rejected(channel, reason, 1);
    }

    private void rejected(String channel, String reason, int count) {
        Counter.builder("cse_intake_reports_rejected")
                .description("Submissions refused (HTTP 4xx) or dead-lettered (Kafka), by reason")
                .tag("channel", channel).tag("reason", reason).register(registry).increment(count);
    }
}
