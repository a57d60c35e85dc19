package org.cse.intake;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Report ids this instance stored recently, with what each report said: a retry of a stored report
 * (same id, same fingerprint) gets the same 202 at once, a reuse of the id for other content a 409.
 * In memory and per instance: instances share nothing, so a conflict that reaches another instance,
 * or comes after {@code ttl}, is caught downstream by the classifier (dead letter REPORT_ID_CONFLICT).
 */
final class ReportIdCache {
    private record Entry(String fingerprint, Instant storedAt) {}

    private final int capacity;
    private final Duration ttl;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> entries;

    ReportIdCache(int capacity, Duration ttl, Clock clock) {
        this.capacity = capacity;
        this.ttl = ttl;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(1024, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > ReportIdCache.this.capacity;
            }
        };
    }

    /** What is known of a report id: nothing, the same report, or another report. */
    enum Seen { NEW, SAME, CONFLICT }

    synchronized Seen check(String reportId, String fingerprint) {
        Entry entry = entries.get(reportId);
        if (entry == null || entry.storedAt().plus(ttl).isBefore(clock.instant())) {
            return Seen.NEW;
        }
        return entry.fingerprint().equals(fingerprint) ? Seen.SAME : Seen.CONFLICT;
    }

    synchronized void stored(String reportId, String fingerprint) {
        entries.put(reportId, new Entry(fingerprint, clock.instant()));
    }
}
