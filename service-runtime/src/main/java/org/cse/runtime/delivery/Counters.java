package org.cse.runtime.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counters of a delivery service, by name and tag values, registered once and looked up cheaply on
 * every record (stream threads call it concurrently).
 */
public final class Counters {
    private final MeterRegistry metrics;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public Counters(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** The counter {@code name} with the given tag names and values, in pairs. */
    public Counter counter(String name, String description, String... tags) {
        return counters.computeIfAbsent(name + '|' + String.join("|", tags),
                key -> Counter.builder(name).description(description).tags(tags).register(metrics));
    }
}
