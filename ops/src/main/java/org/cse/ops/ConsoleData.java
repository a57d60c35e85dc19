package org.cse.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.cse.events.ActionOutcome;
import org.cse.events.OutcomeStatus;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the console shows, kept current by one thread: it follows the outcomes, referral states and
 * dead-letter topics (decoding only those), and every {@value #SAMPLE_SECONDS} seconds reads the end
 * offsets of reports and decisions and the services' lag. Rates are per minute over the last minute.
 * Holds ids, states and counts only, never report content.
 */
final class ConsoleData implements AutoCloseable {
    static final int SAMPLE_SECONDS = 5;
    private static final int POINTS = 360;
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleData.class);

    private final OpsSettings settings;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicReference<ObjectNode> overview = new AtomicReference<>();
    private final AtomicReference<String> problem = new AtomicReference<>("starting");

    // touched by the console thread only
    private final Deque<long[]> offsetSamples = new ArrayDeque<>();
    private final Deque<Long> applied = new ArrayDeque<>();
    private final Deque<Long> finished = new ArrayDeque<>();
    private final Deque<double[]> series = new ArrayDeque<>();
    /** Actions whose latest outcome is not settled (PARKED, FAILED, REJECTED); an applied one leaves. */
    private final Map<String, ActionOutcome> unsettled = new ConcurrentHashMap<>();
    private long appliedTotal;
    private long unreadable;
    private ReferralBook referrals = new ReferralBook();
    private final Map<List<String>, Long> deadLetters = new ConcurrentHashMap<>();

    ConsoleData(OpsSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.thread = new Thread(this::loop, "cse-console-data");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The latest overview, or null before the first sample. */
    ObjectNode overview() {
        return overview.get();
    }

    /** Why there is no fresh overview (broker unreachable...), or null. */
    String problem() {
        return problem.get();
    }

    private void loop() {
        Deserializer<ActionOutcome> outcomeReader = new RegistryAvroSerde<>(settings.kafka().registryClient(), ActionOutcome.class, false)
                .deserializer();
        Deserializer<ReferralState> referralReader = new RegistryAvroSerde<>(settings.kafka().registryClient(), ReferralState.class, false)
                .deserializer();
        List<String> followed = new java.util.ArrayList<>(List.of(Topics.ENFORCEMENT_OUTCOMES.name(), Topics.REFERRALS.name()));
        Topics.DEAD_LETTERS.stream().map(Topic::name).forEach(followed::add);
        while (running) {
            try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
                // every (re)start reads the followed topics from their beginning: start from nothing
                unsettled.clear();
                deadLetters.clear();
                applied.clear();
                finished.clear();
                referrals = new ReferralBook();
                appliedTotal = 0;
                unreadable = 0;
                Instant[] nextSample = {Instant.EPOCH};
                Cluster.read(consumer, followed, null, true, record -> {
                    try {
                        take(record, outcomeReader, referralReader);
                    } catch (RuntimeException e) {
                        if (SchemaRegistryException.isOutage(e)) {
                            throw e;
                        }
                        // one unreadable record is counted and passed over, never a reason to stop watching
                        unreadable++;
                        LOG.warn("console data: record {}-{}@{} unreadable: {}", record.topic(), record.partition(), record.offset(),
                                e.getClass().getSimpleName());
                    }
                    return running;
                }, () -> sampleIfDue(cluster, nextSample));
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                OpsFailure failure = OpsCli.known(e);
                problem.set(failure.getMessage());
                LOG.warn("console data: {}; retrying in {} s", failure.getMessage(), SAMPLE_SECONDS);
                sleep();
            }
        }
    }

    private boolean sampleIfDue(Cluster cluster, Instant[] nextSample) {
        Instant now = clock.instant();
        if (now.isAfter(nextSample[0])) {
            sample(cluster, now);
            nextSample[0] = now.plusSeconds(SAMPLE_SECONDS);
        }
        return running;
    }

    private void take(ConsumerRecord<byte[], byte[]> record, Deserializer<ActionOutcome> outcomeReader,
                      Deserializer<ReferralState> referralReader) {
        if (record.topic().equals(Topics.ENFORCEMENT_OUTCOMES.name())) {
            if (record.value() != null) {
                ActionOutcome outcome = outcomeReader.deserialize(record.topic(), record.value());
                if (outcome.getStatus() == OutcomeStatus.APPLIED || outcome.getStatus() == OutcomeStatus.ALREADY_APPLIED) {
                    unsettled.remove(outcome.getActionId());
                    applied.addLast(record.timestamp());
                    appliedTotal++;
                } else {
                    unsettled.put(outcome.getActionId(), outcome);
                }
            }
        } else if (record.topic().equals(Topics.REFERRALS.name())) {
            ReferralState state = record.value() == null ? null : referralReader.deserialize(record.topic(), record.value());
            referrals.accept(RecordText.key(record.key()), state);
            if (state != null && state.getStatus() == ReferralStatus.FINISHED) {
                finished.addLast(record.timestamp());
            }
        } else {
            deadLetters.merge(List.of(record.topic(), String.valueOf(DeadLetters.header(record.headers(), DeadLetters.REASON))), 1L, Long::sum);
        }
    }

    private void sample(Cluster cluster, Instant now) {
        Map<String, long[]> offsets = cluster.offsets(List.of(Topics.REPORTS.name(), Topics.DECISIONS.name()));
        Map<String, Map<String, Long>> lag = cluster.lag();
        long reports = offsets.getOrDefault(Topics.REPORTS.name(), new long[2])[1];
        long decisions = offsets.getOrDefault(Topics.DECISIONS.name(), new long[2])[1];
        offsetSamples.addLast(new long[] {now.toEpochMilli(), reports, decisions});
        while (offsetSamples.size() > 1 && offsetSamples.peekFirst()[0] < now.toEpochMilli() - 60_000) {
            offsetSamples.removeFirst();
        }
        long[] first = offsetSamples.peekFirst();
        double minutes = Math.max(SAMPLE_SECONDS, (now.toEpochMilli() - first[0]) / 1000.0) / 60.0;
        long minuteAgo = now.toEpochMilli() - 60_000;
        // partitions are read one after another: the times are not in order, so every old one is dropped
        applied.removeIf(t -> t < minuteAgo);
        finished.removeIf(t -> t < minuteAgo);
        double[] point = {now.getEpochSecond(), (reports - first[1]) / minutes, (decisions - first[2]) / minutes, applied.size(),
                finished.size()};
        series.addLast(point);
        while (series.size() > POINTS) {
            series.removeFirst();
        }
        overview.set(build(now, reports, decisions, lag));
        problem.set(null);
    }

    private ObjectNode build(Instant now, long reports, long decisions, Map<String, Map<String, Long>> lag) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode json = f.objectNode();
        json.put("at", now.toString());
        ObjectNode chart = json.putObject("perMinute");
        String[] names = {"t", "reports", "decisions", "actions", "referrals"};
        for (int i = 0; i < names.length; i++) {
            ArrayNode column = chart.putArray(names[i]);
            for (double[] point : series) {
                if (i == 0) {
                    column.add((long) point[0]);
                } else {
                    column.add(Math.round(point[i] * 10) / 10.0);
                }
            }
        }
        double[] last = series.peekLast();
        json.putObject("now").put("reports", last[1]).put("decisions", last[2]).put("actions", last[3]).put("referrals", last[4]);
        json.putObject("totals").put("reports", reports).put("decisions", decisions)
                .put("actionsApplied", appliedTotal)
                .put("referralsFinished", referrals.all().stream().filter(r -> r.getStatus() == ReferralStatus.FINISHED).count());
        ArrayNode dlq = json.putArray("deadLetters");
        deadLetters.entrySet().stream().sorted(Map.Entry.comparingByKey((a, b) -> (a.get(0) + a.get(1)).compareTo(b.get(0) + b.get(1))))
                .forEach(e -> dlq.addObject().put("topic", e.getKey().get(0)).put("reason", e.getKey().get(1)).put("count", e.getValue()));
        ObjectNode deliveries = json.putObject("deliveries");
        deliveries.put("parkedActions", unsettled.values().stream().filter(o -> o.getStatus() == OutcomeStatus.PARKED).count());
        deliveries.put("failedActions", unsettled.values().stream().filter(o -> o.getStatus() != OutcomeStatus.PARKED).count());
        deliveries.put("parkedReferrals", referrals.all().stream().filter(r -> r.getStatus() == ReferralStatus.PARKED).count());
        deliveries.put("failedReferrals", referrals.all().stream().filter(r -> r.getStatus() == ReferralStatus.FAILED).count());
        ArrayNode stuck = deliveries.putArray("items");
        unsettled.values().stream().limit(25).forEach(o -> stuck.addObject()
                .put("kind", "action").put("id", o.getActionId()).put("accountId", o.getAccountId()).put("status", o.getStatus().name())
                .put("since", o.getAt().toString()).put("error", o.getDetail()));
        referrals.all().stream().filter(r -> r.getStatus() == ReferralStatus.PARKED || r.getStatus() == ReferralStatus.FAILED).limit(25)
                .forEach(r -> stuck.addObject().put("kind", "referral").put("id", r.getReferralId()).put("accountId", r.getAccountId())
                        .put("status", r.getStatus().name()).put("since", r.getUpdatedAt().toString()).put("error", r.getError()));
        ReferralBook.LegalClock clockNow = referrals.legalClock(now);
        json.putObject("legalClock").put("finished", clockNow.finished())
                .put("p50Seconds", seconds(clockNow.p50())).put("p99Seconds", seconds(clockNow.p99()))
                .put("open", clockNow.open()).put("oldestOpenSeconds", seconds(clockNow.oldestOpen()))
                .put("oldestOpenReferral", clockNow.oldestOpenReferral());
        json.put("unreadableRecords", unreadable);
        ObjectNode lagJson = json.putObject("lag");
        lag.forEach((group, perTopic) -> lagJson.put(group, perTopic.values().stream().mapToLong(Long::longValue).sum()));
        return json;
    }

    private static Double seconds(Duration duration) {
        return duration == null ? null : duration.toMillis() / 1000.0;
    }

    private void sleep() {
        try {
            Thread.sleep(Duration.ofSeconds(SAMPLE_SECONDS).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Stops the thread: it sees {@code running} after its next poll (200 ms) and closes its consumer itself.
     * Only a thread still busy after that (a retry wait, a slow sample) is interrupted: interrupting a consumer
     * that is closing made Kafka's client log an ERROR with a stack trace on every clean stop.
     */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(3_000);
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
