package org.cse.classifier;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.Incident;
import org.cse.classifier.state.IncidentState;
import org.cse.classifier.state.ReportSeen;
import org.cse.events.Report;
import org.cse.events.Verdict;

/**
 * An account's history as several small entries instead of one, so that an input reads and writes only
 * what it is about: a report of a busy account used to decode and re-encode the whole history (tens of
 * KB, up to the 768 KiB budget) — 70% of the classifier's time in a profile.
 *
 * <ul>
 *   <li>{@code account-history}: the summary — status, strikes, identifiers, recent decisions — with
 *       the incidents and the report ids left out. Key: account id. Written only when one of those changes.</li>
 *   <li>{@code account-incidents}: one entry per incident, which knows its {@code position} among the
 *       account's incidents (the order they opened). Key: {@code account/incidentId}.</li>
 *   <li>{@code account-reports}: one entry per report id taken (fingerprint and incident), the retry
 *       check as a point lookup. Key: {@code account/reportId}.</li>
 *   <li>{@code account-index}: for each content key, the incidents that hold it ({@code account/k/key});
 *       the incidents in the order they opened, with whether each is decided ({@code account/o/position}),
 *       and the decided ones alone ({@code account/d/position});
 *       the ring of the last {@value Policy#MAX_RECENT_REPORTS} report ids ({@code account/r/slot}) that
 *       bounds the report entries as the single-entry layout's list did; and the account's counters
 *       ({@code account/n}: next position, incidents, decided incidents, their bytes, reports taken).</li>
 * </ul>
 *
 * <p>The policy is unchanged: it is given an {@link AccountState} holding the summary, the one report
 * entry the input repeats (if any) and the incidents it can be about — for a report, those sharing a
 * content key with it, in the order they opened, which is all {@code Policy.findIncident} looks at — and
 * what it returns is written back as the entries that changed. An entry written in the single-entry layout
 * (incidents or report ids inside the summary) is split the first time its account is touched. Every
 * store is in one task and changelogged, so exactly-once commits them with the outputs.
 */
final class SplitHistory {
    /** Decided incidents beyond this many go, oldest first (as {@code Policy} bounds a whole history). */
    static final int MAX_INCIDENTS = Policy.MAX_INCIDENTS;
    /** Incidents an account keeps at most: past it the oldest open ones go too, counted in trimmedIncidents. */
    static final int MAX_OPEN_INCIDENTS = 1000;
    /**
     * Encoded size of one incident, and of an account's incidents together, at most: what a whole history
     * was allowed (the changelog takes 1 MiB). Past it details go, then incidents, in StateBudget's order.
     */
    static final int MAX_INCIDENT_BYTES = StateBudget.MAX_STATE_BYTES;
    private static final int RECENT_REPORTS = Policy.MAX_RECENT_REPORTS;
    private static final BinaryMessageEncoder<Incident> INCIDENT_ENCODER = Incident.getEncoder();
    private static final BinaryMessageDecoder<Incident> INCIDENT_DECODER = Incident.getDecoder();
    private static final BinaryMessageEncoder<ReportSeen> REPORT_ENCODER = ReportSeen.getEncoder();
    private static final BinaryMessageDecoder<ReportSeen> REPORT_DECODER = ReportSeen.getDecoder();

    /** The names of one policy's four stores (the live policy's, or the shadow policy's). */
    record Stores(String summaries, String incidents, String reports, String index) {
        /** The live policy's stores. */
        static final Stores LIVE = suffixed("");
        /** The shadow policy's. */
        static final Stores SHADOW = suffixed("-shadow");

        private static Stores suffixed(String suffix) {
            return new Stores("account-history" + suffix, "account-incidents" + suffix, "account-reports" + suffix,
                    "account-index" + suffix);
        }

        List<String> names() {
            return List.of(summaries, incidents, reports, index);
        }
    }

    /**
     * What an input is evaluated against: {@code partial}, the parts of the history it needs, for the
     * policy (null: the account has no history); {@code summary}, the stored summary (null: none);
     * {@code sizes}, the encoded size of each incident given; {@code report}: the input is a report (the
     * only input after which the policy bounds an account's incidents).
     */
    record Loaded(AccountState summary, AccountState partial, Map<String, Integer> sizes, boolean report) {
        static Loaded none(boolean report) {
            return new Loaded(null, null, Map.of(), report);
        }
    }

    /** One store's entries, read-write in a processor, read-only for a lookup. */
    interface Entries {
        byte[] get(String key);

        /** At most {@code limit} entries from {@code from} to {@code to} (both included), in key order. */
        List<KeyValue<String, byte[]>> range(String from, String to, int limit);

        void put(String key, byte[] value);

        void delete(String key);

        static Entries of(KeyValueStore<String, byte[]> store) {
            return new ReadOnlyEntries(store) {
                @Override
                public void put(String key, byte[] value) {
                    store.put(key, value);
                }

                @Override
                public void delete(String key) {
                    store.delete(key);
                }
            };
        }

        static Entries readOnly(ReadOnlyKeyValueStore<String, byte[]> store) {
            return new ReadOnlyEntries(store);
        }
    }

    private static class ReadOnlyEntries implements Entries {
        private final ReadOnlyKeyValueStore<String, byte[]> store;

        ReadOnlyEntries(ReadOnlyKeyValueStore<String, byte[]> store) {
            this.store = store;
        }

        @Override
        public byte[] get(String key) {
            return store.get(key);
        }

        @Override
        public List<KeyValue<String, byte[]>> range(String from, String to, int limit) {
            List<KeyValue<String, byte[]>> entries = new ArrayList<>();
            try (var iterator = store.range(from, to)) {
                while (entries.size() < limit && iterator.hasNext()) {
                    entries.add(iterator.next());
                }
            }
            return entries;
        }

        @Override
        public void put(String key, byte[] value) {
            throw new UnsupportedOperationException("read-only history");
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException("read-only history");
        }
    }

    /**
     * An account's counters ({@code account/n}). The floors are positions no incident (no decided
     * incident) of the account is below: scans start there, not among the deleted entries RocksDB still
     * has to step over at the front of a range that works as a queue.
     */
    private static final class Counters {
        long nextPosition = 1;
        int incidents;
        int decided;
        long bytes;
        long reports;
        long orderFloor = 1;
        long decidedFloor = 1;

        static Counters parse(byte[] value) {
            Counters counters = new Counters();
            if (value != null) {
                String[] parts = text(value).split(" ");
                counters.nextPosition = Long.parseLong(parts[0]);
                counters.incidents = Integer.parseInt(parts[1]);
                counters.decided = Integer.parseInt(parts[2]);
                counters.bytes = Long.parseLong(parts[3]);
                counters.reports = Long.parseLong(parts[4]);
                counters.orderFloor = Long.parseLong(parts[5]);
                counters.decidedFloor = Long.parseLong(parts[6]);
            }
            return counters;
        }

        byte[] format() {
            return bytes(nextPosition + " " + incidents + " " + decided + " " + bytes + " " + reports + " " + orderFloor + " "
                    + decidedFloor);
        }
    }

    /** The history a processor keeps in these stores of its context. */
    static SplitHistory open(org.apache.kafka.streams.processor.api.ProcessorContext<?, ?> context, Stores stores,
                             AccountStateSerde serde) {
        return new SplitHistory(serde, Entries.of(context.getStateStore(stores.summaries())),
                Entries.of(context.getStateStore(stores.incidents())), Entries.of(context.getStateStore(stores.reports())),
                Entries.of(context.getStateStore(stores.index())), true);
    }

    /** The live history, read-only, from the stores {@code store} returns by name (the lookup API). */
    static SplitHistory readOnly(Function<String, ReadOnlyKeyValueStore<String, byte[]>> store, AccountStateSerde serde) {
        Stores stores = Stores.LIVE;
        return new SplitHistory(serde, Entries.readOnly(store.apply(stores.summaries())),
                Entries.readOnly(store.apply(stores.incidents())), Entries.readOnly(store.apply(stores.reports())),
                Entries.readOnly(store.apply(stores.index())), false);
    }

    /**
     * The entries this processor last read or wrote, decoded, keyed by store key and kept only while
     * their bytes are what the store holds: every read still gets the bytes from the store and uses the
     * decoded value only when they are equal, so a restore or a write elsewhere can never serve a stale
     * entry. Decoding a busy account's summary and incident was a fifth of the stream thread. The values
     * are never changed in place (the policy copies what it changes).
     */
    static final class Decoded {
        private static final long MAX_BYTES = 32L * 1024 * 1024;
        private final ByteBoundedCache<String, Map.Entry<byte[], Object>> entries =
                new ByteBoundedCache<>(MAX_BYTES, entry -> entry.getKey().length);

        @SuppressWarnings("unchecked")
        <T> T get(String key, byte[] stored) {
            Map.Entry<byte[], Object> entry = entries.get(key);
            return entry != null && java.util.Arrays.equals(entry.getKey(), stored) ? (T) entry.getValue() : null;
        }

        void put(String key, byte[] stored, Object value) {
            entries.put(key, Map.entry(stored, value));
        }

        void remove(String key) {
            entries.remove(key);
        }
    }

    private final Decoded decoded = new Decoded();
    private final Entries summaries;
    private final Entries incidents;
    private final Entries reports;
    private final Entries index;
    private final Serializer<AccountState> summaryWriter;
    private final Deserializer<AccountState> summaryReader;
    private final boolean writable;

    SplitHistory(AccountStateSerde serde, Entries summaries, Entries incidents, Entries reports, Entries index, boolean writable) {
        this.summaries = summaries;
        this.incidents = incidents;
        this.reports = reports;
        this.index = index;
        this.summaryWriter = serde.serializer();
        this.summaryReader = serde.deserializer();
        this.writable = writable;
    }

    // ---------------------------------------------------------------- what each input reads

    /** For a report: the summary, the entry of its report id if taken before, the incidents sharing its content. */
    Loaded forReport(String account, Report report) {
        AccountState summary = summary(account);
        if (summary == null) {
            return Loaded.none(true);
        }
        ReportSeen seen = report(account, report.getReportId());
        Set<String> ids = new LinkedHashSet<>();
        for (String key : Policy.contentKeys(report)) {
            ids.addAll(indexed(account, key));
        }
        return loaded(account, summary, ids, seen == null ? List.of() : List.of(seen), true);
    }

    /**
     * For a verdict: the incident it names, the report's entry and the incident it names; every incident
     * when the report's entry is gone (as the single-entry layout searched every incident's report ids).
     */
    Loaded forVerdict(String account, Verdict verdict) {
        AccountState summary = summary(account);
        if (summary == null) {
            return Loaded.none(false);
        }
        Set<String> ids = new LinkedHashSet<>();
        if (verdict.getIncidentId() != null) {
            ids.add(verdict.getIncidentId());
        }
        ReportSeen seen = report(account, verdict.getReportId());
        if (seen != null && seen.getIncidentId() != null) {
            ids.add(seen.getIncidentId());
        } else {
            ids.addAll(order(account).values());
        }
        return loaded(account, summary, ids, seen == null ? List.of() : List.of(seen), false);
    }

    /** For an appeal (rare): the summary and every incident (the appeal names a decision, not an incident). */
    Loaded forAppeal(String account) {
        AccountState summary = summary(account);
        return summary == null ? Loaded.none(false) : loaded(account, summary, order(account).values(), List.of(), false);
    }

    /** For an account event: the summary alone. */
    Loaded forAccountEvent(String account) {
        AccountState summary = summary(account);
        return summary == null ? Loaded.none(false) : new Loaded(summary, partial(summary, List.of(), List.of()), Map.of(), false);
    }

    /** The whole history of an account as one AccountState (for the lookup API and tests), or null. */
    AccountState full(String account) {
        byte[] bytes = summaries.get(account);
        if (bytes == null) {
            return null;
        }
        AccountState summary = summaryReader.deserialize(null, bytes);
        if (isSingleEntry(summary)) {
            return summary;
        }
        List<ReportSeen> recent = new ArrayList<>();
        long taken = counters(account).reports;
        for (long i = Math.max(0, taken - RECENT_REPORTS); i < taken; i++) {
            byte[] id = index.get(slot(account, i));
            ReportSeen seen = id == null ? null : report(account, text(id));
            if (seen != null) {
                recent.add(seen);
            }
        }
        return loaded(account, summary, order(account).values(), recent, false).partial();
    }

    // ---------------------------------------------------------------- writing back

    /**
     * Writes what the policy changed: new report ids, incidents that are new or rebuilt (the policy
     * never changes one in place, so an unchanged incident is the very object it was given), their
     * content keys in the index, the counters, and the summary if it changed. Returns how many items were
     * trimmed to keep entries within their bounds.
     */
    int write(String account, Loaded loaded, Policy.Evaluation evaluation) {
        AccountState result = evaluation.state();
        AccountState given = loaded.partial();
        Counters counters = counters(account);
        int trimmed = 0;

        Set<ReportSeen> known = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Incident> before = new HashMap<>();
        if (given != null) {
            known.addAll(given.getRecentReports());
            given.getIncidents().forEach(incident -> before.put(incident.getIncidentId(), incident));
        }
        for (ReportSeen seen : result.getRecentReports()) {
            if (!known.contains(seen)) {
                remember(account, seen, counters);
            }
        }
        for (Incident incident : result.getIncidents()) {
            Incident old = before.remove(incident.getIncidentId());
            if (old == incident) {
                continue;
            }
            if (old == null) {
                // an id the policy made anew that is already stored (a report id taken again, long after, outside
                // the incident window): the new incident replaces it, as it would be a second one of that id
                drop(account, incident.getIncidentId(), counters);
            }
            Incident kept = incident;
            if (old == null) {
                kept = Policy.copyOf(incident);
                kept.setPosition(counters.nextPosition++);
            }
            byte[] bytes = encode(kept);
            if (bytes.length > MAX_INCIDENT_BYTES) {
                kept = StateBudget.stripped(kept, kept.getState() == IncidentState.UNDER_REVIEW);
                bytes = encode(kept);
                trimmed++;
            }
            put(account, old, loaded.sizes().getOrDefault(kept.getIncidentId(), 0), kept, bytes, counters);
        }
        for (Incident gone : before.values()) {
            drop(account, gone, loaded.sizes().getOrDefault(gone.getIncidentId(), 0), counters);
        }
        int dropped = loaded.report() ? bound(account, counters, evaluation.incidentId()) : 0;
        if (counters.bytes > MAX_INCIDENT_BYTES) {
            Fit fit = fitAccount(account, counters, evaluation.incidentId());
            trimmed += fit.trimmed();
            dropped += fit.dropped();
        }
        trimmed += dropped;
        index.put(account + "/n", counters.format());

        AccountState summary = partial(result, List.of(), List.of());
        summary.setTrimmedIncidents(result.getTrimmedIncidents() + dropped);
        if (!summary.equals(loaded.summary())) {
            StateBudget.Fitted fitted = StateBudget.fit(summary, null);
            trimmed += fitted.trimmed();
            byte[] bytes = summaryWriter.serialize(null, fitted.state());
            summaries.put(account, bytes);
            decoded.put(account, bytes, fitted.state());
        }
        return trimmed;
    }

    /** Writes an incident's entry, its content keys and its place in the account's order. */
    private void put(String account, Incident old, int oldSize, Incident kept, byte[] bytes, Counters counters) {
        String key = key(account, kept.getIncidentId());
        incidents.put(key, bytes);
        decoded.put(key, bytes, kept);
        reindex(account, kept.getIncidentId(), old, kept);
        counters.bytes += bytes.length - (old == null ? 0 : oldSize);
        boolean decided = kept.getState() == IncidentState.DECIDED;
        boolean wasDecided = old != null && old.getState() == IncidentState.DECIDED;
        if (old == null) {
            counters.incidents++;
        } else if (wasDecided == decided) {
            return;
        }
        counters.decided += (decided ? 1 : 0) - (wasDecided ? 1 : 0);
        index.put(orderKey(account, kept.getPosition()), bytes(kept.getIncidentId() + (decided ? " D" : " O")));
        if (decided) {
            index.put(decidedKey(account, kept.getPosition()), bytes(kept.getIncidentId()));
            counters.decidedFloor = Math.min(counters.decidedFloor, kept.getPosition());
        }
    }

    private void drop(String account, Incident incident, int size, Counters counters) {
        reindex(account, incident.getIncidentId(), incident, null);
        incidents.delete(key(account, incident.getIncidentId()));
        decoded.remove(key(account, incident.getIncidentId()));
        index.delete(orderKey(account, incident.getPosition()));
        if (incident.getState() == IncidentState.DECIDED) {
            index.delete(decidedKey(account, incident.getPosition()));
        }
        counters.incidents--;
        counters.decided -= incident.getState() == IncidentState.DECIDED ? 1 : 0;
        counters.bytes -= size;
    }

    /** Drops the stored incident with this id; false if there was none. */
    private boolean drop(String account, String incidentId, Counters counters) {
        byte[] bytes = incidents.get(key(account, incidentId));
        if (bytes == null) {
            return false;
        }
        drop(account, decode(account, incidentId, bytes), bytes.length, counters);
        return true;
    }

    /**
     * Keeps an account's incidents bounded: decided incidents past {@link #MAX_INCIDENTS} go, oldest first
     * (as Policy bounds a whole history: even one a report just attached to); past
     * {@link #MAX_OPEN_INCIDENTS}, the oldest open ones too, never the current one. Returns how many open
     * incidents went.
     */
    private int bound(String account, Counters counters, String current) {
        if (counters.incidents > MAX_INCIDENTS && counters.decided > 0) {
            List<KeyValue<String, byte[]>> decided = first(index, position -> decidedKey(account, position), counters.decidedFloor,
                    counters.nextPosition, counters.incidents - MAX_INCIDENTS + 1);
            int i = 0;
            for (; i < decided.size() && counters.incidents > MAX_INCIDENTS; i++) {
                drop(account, text(decided.get(i).value), counters);
            }
            counters.decidedFloor = i < decided.size() ? position(decided.get(i).key) : counters.nextPosition;
        }
        int dropped = 0;
        if (counters.incidents > MAX_OPEN_INCIDENTS) {
            // the oldest ones only: as many as go, the current one it may skip, and the first one kept
            List<KeyValue<String, byte[]>> order = first(index, position -> orderKey(account, position), counters.orderFloor,
                    counters.nextPosition, counters.incidents - MAX_OPEN_INCIDENTS + 2);
            long floor = counters.nextPosition;
            for (var entry : order) {
                String id = text(entry.value).split(" ")[0];
                if (counters.incidents > MAX_OPEN_INCIDENTS && !id.equals(current) && drop(account, id, counters)) {
                    dropped++;
                } else {
                    floor = Math.min(floor, position(entry.key)); // the oldest one kept
                    if (counters.incidents <= MAX_OPEN_INCIDENTS) {
                        break;
                    }
                }
            }
            counters.orderFloor = floor;
        }
        return dropped;
    }

    private record Fit(int trimmed, int dropped) {}

    /**
     * Keeps an account's incidents together within {@link #MAX_INCIDENT_BYTES}, in StateBudget's order:
     * details of decided incidents, then decided incidents, then details and then whole of other open
     * incidents, then the current incident's details, oldest first; never the current incident itself.
     * Only a flood of reports at their item limits reaches it.
     */
    private Fit fitAccount(String account, Counters counters, String current) {
        int trimmed = 0;
        int dropped = 0;
        List<String> ids = new ArrayList<>(order(account, counters).values());
        // 1. details of decided incidents, 2. decided incidents
        for (String id : ids) {
            trimmed += counters.bytes > MAX_INCIDENT_BYTES && !id.equals(current) ? strip(account, id, true, counters) : 0;
        }
        for (String id : ids) {
            if (counters.bytes > MAX_INCIDENT_BYTES && !id.equals(current) && isDecided(account, id) && drop(account, id, counters)) {
                dropped++;
            }
        }
        // 4. details of other open incidents, 5. other open incidents, 6. the current one's details
        for (String id : ids) {
            trimmed += counters.bytes > MAX_INCIDENT_BYTES && !id.equals(current) ? strip(account, id, false, counters) : 0;
        }
        for (String id : ids) {
            if (counters.bytes > MAX_INCIDENT_BYTES && !id.equals(current) && drop(account, id, counters)) {
                dropped++;
            }
        }
        if (counters.bytes > MAX_INCIDENT_BYTES && current != null) {
            trimmed += strip(account, current, false, counters);
        }
        return new Fit(trimmed, dropped);
    }

    private boolean isDecided(String account, String incidentId) {
        Incident incident = incident(account, incidentId);
        return incident != null && incident.getState() == IncidentState.DECIDED;
    }

    /** Strips an incident's details ({@code decidedOnly}: only if it is decided); returns 1 if that changed it. */
    private int strip(String account, String incidentId, boolean decidedOnly, Counters counters) {
        byte[] bytes = incidents.get(key(account, incidentId));
        if (bytes == null) {
            return 0;
        }
        Incident incident = decode(account, incidentId, bytes);
        boolean open = incident.getState() == IncidentState.UNDER_REVIEW;
        if (decidedOnly && open) {
            return 0;
        }
        Incident stripped = StateBudget.stripped(incident, open);
        if (stripped.equals(incident)) {
            return 0;
        }
        put(account, incident, bytes.length, stripped, encode(stripped), counters);
        return 1;
    }

    // ---------------------------------------------------------------- the single-entry layout

    private static boolean isSingleEntry(AccountState state) {
        return !state.getIncidents().isEmpty() || !state.getRecentReports().isEmpty();
    }

    /** The account's summary, split into entries first if it was written in the single-entry layout. */
    private AccountState summary(String account) {
        byte[] bytes = summaries.get(account);
        if (bytes == null) {
            return null;
        }
        AccountState cached = decoded.get(account, bytes);
        if (cached != null) {
            return cached;
        }
        AccountState state = summaryReader.deserialize(null, bytes);
        if (!isSingleEntry(state)) {
            decoded.put(account, bytes, state);
            return state;
        }
        if (!writable) {
            throw new IllegalStateException("account " + account + " is in the single-entry layout: read it with full()");
        }
        Counters counters = new Counters();
        Map<String, String> incidentOfReport = new HashMap<>();
        for (Incident incident : state.getIncidents()) {
            // histories written before incident ids named the opening report can hold one id twice: the later one stays
            drop(account, incident.getIncidentId(), counters);
            Incident placed = Policy.copyOf(incident);
            placed.setPosition(counters.nextPosition++);
            put(account, null, 0, placed, encode(placed), counters);
            incident.getReportIds().forEach(id -> incidentOfReport.put(id, incident.getIncidentId()));
        }
        for (ReportSeen seen : state.getRecentReports()) {
            remember(account, seen.getIncidentId() != null ? seen
                    : ReportSeen.newBuilder(seen).setIncidentId(incidentOfReport.get(seen.getReportId())).build(), counters);
        }
        index.put(account + "/n", counters.format());
        AccountState summary = partial(state, List.of(), List.of());
        summaries.put(account, summaryWriter.serialize(null, summary));
        return summary;
    }

    // ---------------------------------------------------------------- entries

    /** A shallow copy of {@code state} with these incidents and report ids (the policy never changes a part in place). */
    private static AccountState partial(AccountState state, List<Incident> incidents, List<ReportSeen> recentReports) {
        AccountState copy = Policy.copyOf(state);
        copy.setIncidents(incidents);
        copy.setRecentReports(recentReports);
        return copy;
    }

    /** The summary with the stored incidents of these ids, in the order they opened (the order the policy searches). */
    private Loaded loaded(String account, AccountState summary, java.util.Collection<String> ids, List<ReportSeen> seen,
                          boolean report) {
        Map<String, Integer> sizes = new HashMap<>();
        List<Incident> found = new ArrayList<>();
        for (String id : ids) {
            byte[] bytes = incidents.get(key(account, id));
            if (bytes != null && !sizes.containsKey(id)) {
                sizes.put(id, bytes.length);
                found.add(decode(account, id, bytes));
            }
        }
        found.sort(java.util.Comparator.comparingLong(Incident::getPosition));
        return new Loaded(summary, partial(summary, found, seen), sizes, report);
    }

    /**
     * The first {@code limit} index entries at positions from {@code floor} up to {@code end}, in order, read in
     * windows of positions that start at twice the limit and double: the store's cache copies every key a range
     * covers before the first is returned, and a busy account's decided or order range holds hundreds of
     * keys where a bound needs one or two (that copy was a tenth of the classifier's time).
     */
    static List<KeyValue<String, byte[]>> first(Entries store, LongFunction<String> key, long floor, long end, int limit) {
        List<KeyValue<String, byte[]>> found = new ArrayList<>();
        long width = Math.max(8, 2L * limit);
        for (long from = floor; from <= end && found.size() < limit; ) {
            long to = end - from < width ? end : from + width - 1;
            found.addAll(store.range(key.apply(from), key.apply(to), limit - found.size()));
            if (to == end) {
                break;
            }
            from = to + 1;
            width = Math.min(width, Long.MAX_VALUE / 2) * 2;
        }
        return found;
    }

    /** The account's incidents by position, oldest first. */
    private Map<Long, String> order(String account, Counters counters) {
        Map<Long, String> order = new java.util.TreeMap<>();
        for (var entry : index.range(orderKey(account, counters.orderFloor), orderKey(account, counters.nextPosition), Integer.MAX_VALUE)) {
            order.put(position(entry.key), text(entry.value).split(" ")[0]);
        }
        return order;
    }

    private Map<Long, String> order(String account) {
        return order(account, counters(account));
    }

    /** The position at the end of an order or decided key. */
    private static long position(String key) {
        return Long.parseLong(key.substring(key.length() - 12));
    }

    private static String orderKey(String account, long position) {
        return account + "/o/" + padded(position);
    }

    /** The decided incidents alone, oldest first: the bound drops them without reading the open ones. */
    private static String decidedKey(String account, long position) {
        return account + "/d/" + padded(position);
    }

    private static String padded(long position) {
        String digits = Long.toString(position);
        return "0".repeat(Math.max(0, 12 - digits.length())) + digits;
    }

    private Incident incident(String account, String incidentId) {
        byte[] bytes = incidents.get(key(account, incidentId));
        return bytes == null ? null : decode(account, incidentId, bytes);
    }

    private Incident decode(String account, String incidentId, byte[] bytes) {
        String key = key(account, incidentId);
        Incident cached = decoded.get(key, bytes);
        if (cached != null) {
            return cached;
        }
        try {
            Incident incident = INCIDENT_DECODER.decode(bytes);
            decoded.put(key, bytes, incident);
            return incident;
        } catch (IOException e) {
            throw new SerializationException("cannot decode incident " + incidentId + " of account " + account, e);
        }
    }

    private ReportSeen report(String account, String reportId) {
        byte[] bytes = reports.get(key(account, reportId));
        if (bytes == null) {
            return null;
        }
        try {
            return REPORT_DECODER.decode(bytes);
        } catch (IOException e) {
            throw new SerializationException("cannot decode report entry " + reportId + " of account " + account, e);
        }
    }

    private Counters counters(String account) {
        return Counters.parse(index.get(account + "/n"));
    }

    /** Takes a report id, forgetting the one taken {@value Policy#MAX_RECENT_REPORTS} reports before. */
    private void remember(String account, ReportSeen seen, Counters counters) {
        String slot = slot(account, counters.reports++);
        byte[] oldest = index.get(slot);
        if (oldest != null && !text(oldest).equals(seen.getReportId())) {
            reports.delete(key(account, text(oldest)));
        }
        index.put(slot, bytes(seen.getReportId()));
        reports.put(key(account, seen.getReportId()), encode(seen));
    }

    private static String slot(String account, long taken) {
        return account + "/r/" + (taken % RECENT_REPORTS);
    }

    /** The incidents holding a content key. */
    private List<String> indexed(String account, String contentKey) {
        byte[] bytes = index.get(account + "/k/" + contentKey);
        return bytes == null ? List.of() : List.of(text(bytes).split(" "));
    }

    /** Moves an incident's index entries from its old content keys to its new ones. */
    private void reindex(String account, String incidentId, Incident old, Incident now) {
        Set<String> before = old == null ? Set.of() : new HashSet<>(old.getContentKeys());
        Set<String> after = now == null ? Set.of() : new HashSet<>(now.getContentKeys());
        for (String key : (now == null ? List.<String>of() : now.getContentKeys())) {
            if (!before.contains(key)) {
                List<String> ids = new ArrayList<>(indexed(account, key));
                if (!ids.contains(incidentId)) {
                    ids.add(incidentId);
                    index.put(account + "/k/" + key, bytes(String.join(" ", ids)));
                }
            }
        }
        for (String key : before) {
            if (!after.contains(key)) {
                List<String> ids = new ArrayList<>(indexed(account, key));
                if (ids.remove(incidentId)) {
                    if (ids.isEmpty()) {
                        index.delete(account + "/k/" + key);
                    } else {
                        index.put(account + "/k/" + key, bytes(String.join(" ", ids)));
                    }
                }
            }
        }
    }

    static String key(String account, String id) {
        return account + "/" + id;
    }

    private static byte[] encode(Incident incident) {
        try {
            return toArray(INCIDENT_ENCODER.encode(incident));
        } catch (IOException e) {
            throw new SerializationException("cannot encode incident " + incident.getIncidentId(), e);
        }
    }

    private static byte[] encode(ReportSeen seen) {
        try {
            return toArray(REPORT_ENCODER.encode(seen));
        } catch (IOException e) {
            throw new SerializationException("cannot encode report entry " + seen.getReportId(), e);
        }
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
