package org.cse.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A service's readiness and the state of each of its parts. {@code ready} is what the orchestrator
 * routes traffic on; {@code parts} says which part is down, so that a part that takes no traffic of
 * the port (intake's raw Kafka channel) can be down without taking the port out of service.
 *
 * @param ready whether the service should receive traffic
 * @param parts each part's state, e.g. {@code http: true, raw-channel: false}
 */
public record Health(boolean ready, Map<String, Boolean> parts) {
    public Health {
        parts = Map.copyOf(parts);
    }

    public static Health of(boolean ready) {
        return new Health(ready, Map.of());
    }

    /** The JSON body of /health/ready. */
    Map<String, Object> view() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("status", ready ? "UP" : "DOWN");
        Map<String, String> states = new java.util.TreeMap<>();
        parts.forEach((part, up) -> states.put(part, up ? "UP" : "DOWN"));
        if (!states.isEmpty()) {
            view.put("parts", states);
        }
        return view;
    }
}
