package org.cse.runtime.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.cse.events.Decision;
import org.cse.events.DeliveryResult;
import org.cse.runtime.RecordKeys;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Limits;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of a delivery state machine (enforcement's actions, escalation's referrals): reads
 * decisions and the executor's results, both keyed by account, loads the account's items with one
 * prefix scan, lets the service's pure state machine decide, and writes what it decided: items,
 * commands, outputs, the account's next wake-up. A punctuator wakes accounts whose timers are due, so
 * retries are scheduled as state and no thread ever sleeps. Everything happens in one exactly-once
 * transaction per commit: a command is sent if and only if the state that says it is in flight is
 * stored.
 *
 * <p>Records are read as bytes and decoded here, so that a record that must be refused reaches the
 * dead-letter topic as the bytes that arrived; a schema registry outage is not the record's fault and
 * fails the task instead (the record is read again).
 *
 * @param <I> the service's item record
 */
public abstract class DeliveryProcessor<I extends SpecificRecord> implements Processor<byte[], byte[], Object, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryProcessor.class);
    /** Sink names every delivery topology has. */
    public static final String DEAD_LETTERS = "dead-letters";
    /**
     * Header naming the application (its id) that issued a command or a replay, or that a result answers:
     * commands and results of another application sharing the topics (a second deployment, a test) are left alone.
     */
    public static final String APPLICATION = "cse.app";

    /** Names and readers of a delivery topology's parts. */
    public record Wiring(String service, Stores stores, String decisionsTopic, String resultsTopic, String deadLetterTopic,
                         Deserializer<Decision> decisions, Deserializer<DeliveryResult> results, Duration tick, AtomicLong parked) {}

    /** The stores every delivery processor has, named after its items. */
    public record Stores(String items, String wakeups, String wakeupQueue, String parked) {
        public static Stores named(String items) {
            return new Stores(items, items + "-wakeups", items + "-wakeup-queue", items + "-parked");
        }
    }

    private final Wiring wiring;
    protected ProcessorContext<Object, Object> context;
    private KeyValueStore<String, I> items;
    private KeyValueStore<String, String> parked;
    private Wakeups wakeups;
    private long parkedHere;

    protected DeliveryProcessor(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.items = context.getStateStore(wiring.stores().items());
        this.parked = context.getStateStore(wiring.stores().parked());
        this.wakeups = new Wakeups(context.getStateStore(wiring.stores().wakeups()), context.getStateStore(wiring.stores().wakeupQueue()));
        // the parked index holds parked items only (few): counting it is cheap whatever the history
        try (KeyValueIterator<String, String> it = parked.all()) {
            while (it.hasNext()) {
                it.next();
                parkedHere++;
            }
        }
        wiring.parked().addAndGet(parkedHere);
        context.schedule(wiring.tick(), PunctuationType.WALL_CLOCK_TIME, this::wake);
    }

    @Override
    public void close() {
        wiring.parked().addAndGet(-parkedHere);
        parkedHere = 0;
    }

    /** The item's id within its account (action id, referral id). */
    protected abstract String itemId(I item);

    /** Whether the item waits for an operator (counted, and listed in the parked index). */
    protected abstract boolean isParked(I item);

    /** The decision's field rules for this service, or null when it may be delivered. */
    protected abstract InputChecks.Violation check(Decision decision);

    /**
     * Whether a decision whose key is not the account it names is refused (KEY_MISMATCH). Escalation says
     * no: a legally required report must not be lost because the decision's account id holds characters
     * a key cannot (the report escapes them); the items are kept under the key.
     */
    protected boolean decisionKeyMustBeItsAccount() {
        return true;
    }

    protected abstract Step<I> onDecision(String account, List<I> items, Decision decision, Instant now);

    protected abstract Step<I> onResult(String account, List<I> items, DeliveryResult result, Instant now);

    protected abstract Step<I> onWake(String account, List<I> items, Instant now);

    /** Called for every record refused, with its reason (metrics). */
    protected void rejected(String input, DeadLetterReason reason) {
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        boolean isDecision = source.topic().equals(wiring.decisionsTopic());
        String input = isDecision ? "decision" : "result";
        if (!isDecision && !ours(record.headers())) {
            return; // another application's result: not an event of this state machine
        }
        if (record.key() == null) {
            reject(record, source, input, DeadLetterReason.NULL_KEY, input + " without an account id key");
            return;
        }
        String account = RecordKeys.decode(record.key());
        if (account == null || !Limits.isId(account)) {
            reject(record, source, input, DeadLetterReason.INVALID_FIELD, "key: the account id must be " + Limits.ID_RULE);
            return;
        }
        if (record.value() == null) {
            reject(record, source, input, DeadLetterReason.NULL_VALUE, input + " without a value");
            return;
        }
        Object value;
        try {
            value = (isDecision ? wiring.decisions() : wiring.results()).deserialize(source.topic(), record.value());
        } catch (RuntimeException e) {
            if (SchemaRegistryException.isOutage(e)) {
                throw e; // not the record's fault: the task fails and the record is read again
            }
            reject(record, source, input, DeadLetterReason.DESERIALIZATION, e.getMessage());
            return;
        }
        if (value instanceof Decision decision) {
            InputChecks.Violation violation = check(decision);
            if (violation != null) {
                reject(record, source, input, DeadLetterReason.INVALID_FIELD, violation.message());
                return;
            }
        }
        String named = value instanceof Decision d ? d.getAccountId() : ((DeliveryResult) value).getAccountId();
        if (!account.equals(named)) {
            if (!(value instanceof Decision) || decisionKeyMustBeItsAccount()) {
                reject(record, source, input, DeadLetterReason.KEY_MISMATCH, "the key is not the account id the " + input + " names");
                return;
            }
            LOG.warn("decision {} at {}-{}@{} names another account than its key {}: handled under the key", ((Decision) value)
                    .getDecisionId(), source.topic(), source.partition(), source.offset(), account);
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        List<I> current = load(account);
        Step<I> step;
        if (value instanceof Decision decision) {
            step = onDecision(account, current, decision, now);
        } else {
            step = onResult(account, current, (DeliveryResult) value, now);
        }
        save(account, current, step, record.timestamp(), now);
    }

    private void wake(long timestamp) {
        Instant now = Instant.ofEpochMilli(timestamp);
        for (String account : wakeups.due(now, 500)) {
            List<I> current = load(account);
            save(account, current, onWake(account, current, now), timestamp, now);
        }
    }

    /** The account's items: one prefix scan. */
    protected List<I> load(String account) {
        List<I> found = new ArrayList<>();
        try (KeyValueIterator<String, I> it = items.prefixScan(ItemKeys.prefix(account), new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, I> entry = it.next();
                found.add(entry.value);
            }
        }
        return found;
    }

    private void save(String account, List<I> before, Step<I> step, long timestamp, Instant now) {
        Map<String, Boolean> wasParked = new HashMap<>();
        before.forEach(item -> wasParked.put(itemId(item), isParked(item)));
        for (I item : step.put()) {
            String key = ItemKeys.of(account, itemId(item));
            items.put(key, item);
            park(key, Boolean.TRUE.equals(wasParked.get(itemId(item))), isParked(item));
        }
        for (String removed : step.removed()) {
            String key = ItemKeys.of(account, removed);
            items.delete(key);
            park(key, Boolean.TRUE.equals(wasParked.get(removed)), false);
        }
        for (Step.Output output : step.outputs()) {
            Headers headers = output.headers() == null ? new RecordHeaders() : output.headers();
            headers.add(APPLICATION, context.applicationId().getBytes(StandardCharsets.UTF_8));
            context.forward(new Record<>(output.key(), output.value(), timestamp, headers), output.sink());
        }
        Instant wake = step.wake();
        if (wake != null && !wake.isAfter(now)) {
            // never a timer in the past: the punctuator would take the account again in the same round
            wake = now.plus(wiring.tick());
        }
        wakeups.set(account, wake);
    }

    private boolean ours(Headers headers) {
        return isFor(headers, context.applicationId());
    }

    /** Whether a record was issued by (or answers) the application {@code applicationId}: true when it does not say. */
    public static boolean isFor(Headers headers, String applicationId) {
        Header application = headers.lastHeader(APPLICATION);
        return application == null || applicationId.equals(new String(application.value(), StandardCharsets.UTF_8));
    }

    /** The header that says a record belongs to {@code applicationId}. */
    public static Headers stamped(String applicationId) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(APPLICATION, applicationId.getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private void park(String key, boolean was, boolean is) {
        if (was == is) {
            return;
        }
        if (is) {
            parked.put(key, "");
        } else {
            parked.delete(key);
        }
        long delta = is ? 1 : -1;
        parkedHere += delta;
        wiring.parked().addAndGet(delta);
    }

    private void reject(Record<byte[], byte[]> record, RecordMetadata source, String input, DeadLetterReason reason, String detail) {
        LOG.warn("dead-lettered {} {}-{}@{}: {} {}", input, source.topic(), source.partition(), source.offset(), reason, detail);
        rejected(input, reason);
        ProducerRecord<byte[], byte[]> dead = DeadLetters.record(wiring.deadLetterTopic(), record.key(), record.value(), record.headers(),
                new DeadLetters.Cause(wiring.service(), reason, detail, source.topic(), source.partition(), source.offset()));
        context.forward(new Record<>(dead.key(), dead.value(), record.timestamp(), dead.headers()), DEAD_LETTERS);
    }
}
