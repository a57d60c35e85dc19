package org.cse.intake;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counters an operator watches: reports accepted and refused, by channel and reason. */
public final class IntakeMetrics {
    private final MeterRegistry registry;

    public IntakeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void accepted(String channel) {
        Counter.builder("cse_intake_reports_accepted").description("Reports validated and stored on the reports topic")
                .tag("channel", channel).register(registry).increment();
    }

    /**
     * A publisher's accepted report; {@code confirmed}: a verified match, the kind that suspends without
     * review. An alert watches this per publisher for a jump far above its usual rate.
     */
    void published(String publisher, boolean confirmed) {
        Counter.builder("cse_intake_publisher_reports").description("Reports accepted per publisher; confirmed: verified matches")
                .tag("publisher", publisher).tag("confirmed", Boolean.toString(confirmed)).register(registry).increment();
    }

    void rejected(String channel, String reason) {
        Counter.builder("cse_intake_reports_rejected")
                .description("Submissions refused (HTTP 4xx) or dead-lettered (Kafka), by reason")
                .tag("channel", channel).tag("reason", reason).register(registry).increment();
    }
}
