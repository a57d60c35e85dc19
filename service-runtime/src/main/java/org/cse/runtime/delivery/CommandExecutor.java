package org.cse.runtime.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.events.DeliveryResult;
import org.cse.runtime.KafkaSettings;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a state machine's commands against the outside world: consumes the command topic, starts each
 * command's calls at once on a non-blocking HTTP client, up to {@code maxInFlight} at a time, and
 * publishes each command's result to the result topic, where the state machine takes it as an event.
 * The poll loop never waits for a call, so a slow or failing API can neither stall the consumer nor
 * push it past {@code max.poll.interval.ms} (no rebalance during an outage); when the in-flight limit is
 * reached the partitions are paused, and polling goes on.
 *
 * <p>Commands of one account never overlap: the state machine sends an account's next command only
 * after the result of the previous one. Delivery to the outside world is at least once (a crash
 * before the commit repeats the calls of the commands in flight), so every call must be idempotent
 * on the other side (Idempotency-Key) or harmless to repeat (a retried finish of a finished report);
 * the one that is not, NCMEC's {@code submit}, can at worst open a report that is never finished.
 * Offsets are committed up to the oldest command whose result is not yet acknowledged by the broker.
 *
 * @param <C> the command record
 */
public final class CommandExecutor<C extends SpecificRecord> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CommandExecutor.class);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration COMMIT_EVERY = Duration.ofMillis(200);
    private static final Duration REGISTRY_BACKOFF = Duration.ofSeconds(2);

    /** The calls of one command. */
    public interface Calls<C> {
        /** Makes the command's calls; every failure of a call is an outcome of the result, never an exception. */
        CompletionStage<DeliveryResult> execute(C command);

        /** The result of a command whose execution failed unexpectedly, so that its item is retried, never stuck. */
        DeliveryResult failed(C command, Throwable failure);

        /** The account the command is for. */
        String accountOf(C command);
    }

    private record Done(TopicPartition partition, long offset) {}

    private final String service;
    private final String applicationId;
    private final String commandTopic;
    private final String resultTopic;
    private final String deadLetterTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Deserializer<C> commands;
    private final Serializer<DeliveryResult> results;
    private final Calls<C> calls;
    private final int maxInFlight;
    private final Thread thread;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, TreeSet<Long>> pending = new HashMap<>();
    private final Map<TopicPartition, Long> consumed = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final Map<TopicPartition, Instant> retryAt = new HashMap<>();
    private final Timer commandTime;
    private final Counter rebalances;
    private final Counter deadLettered;
    private volatile boolean running = true;
    private volatile boolean healthy = true;
    private volatile boolean started;
    private boolean paused;
    private Instant lastCommit = Instant.EPOCH;

    /**
     * @param applicationId the state machine's application id: the executor takes its commands alone, in the group
     *        {@code <applicationId>-executor}
     * @param commands decodes a command (the topic's registry serde)
     * @param results encodes a result (the topic's registry serde)
     */
    public CommandExecutor(String service, KafkaSettings kafka, String applicationId, String commandTopic, String resultTopic,
                           String deadLetterTopic, Deserializer<C> commands, Serializer<DeliveryResult> results, int maxInFlight,
                           Calls<C> calls, MeterRegistry metrics) {
        this.service = service;
        this.applicationId = applicationId;
        this.commandTopic = commandTopic;
        this.resultTopic = resultTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.commands = commands;
        this.results = results;
        this.calls = calls;
        this.maxInFlight = maxInFlight;
        Properties consumerProps = kafka.consumer(service + "-executor", applicationId + "-executor");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.max(100, maxInFlight)));
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(kafka.producer(service + "-executor"), new ByteArraySerializer(), new ByteArraySerializer());
        this.commandTime = Timer.builder("cse_executor_command").description("From a command taken to its result acknowledged")
                .publishPercentileHistogram().register(metrics);
        this.rebalances = Counter.builder("cse_executor_rebalances")
                .description("Partitions of the command topic taken away from this executor (0 during an outage of an API)")
                .register(metrics);
        this.deadLettered = Counter.builder("cse_executor_dead_letters").description("Commands that could not be read").register(metrics);
        Gauge.builder("cse_executor_in_flight", inFlight, AtomicInteger::get).description("Commands whose calls are under way")
                .register(metrics);
        this.thread = new Thread(this::run, service + "-executor");
    }

    public void start() {
        thread.start();
    }

    /** Running, polling and able to publish results. */
    public boolean isHealthy() {
        return started && healthy && thread.isAlive();
    }

    public int inFlight() {
        return inFlight.get();
    }

    private void run() {
        try {
            if (!warmUp()) {
                return;
            }
            consumer.subscribe(List.of(commandTopic), new Rebalance());
            started = true;
            while (running) {
                settle();
                throttle();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    take(record);
                }
                commit(false);
            }
            drain(Duration.ofSeconds(30));
            commit(true);
        } catch (WakeupException e) {
            if (running) {
                healthy = false;
                LOG.error("{} executor woken up unexpectedly", service, e);
            }
        } catch (RuntimeException e) {
            healthy = false;
            LOG.error("{} executor stopped", service, e);
        } finally {
            consumer.close(Duration.ofSeconds(10));
            producer.close(Duration.ofSeconds(10));
        }
    }

    /**
     * Looks the result schema's id up before the first command is taken (the serde caches it), so that a
     * result is never lost to a registry outage; waits for the registry as long as it takes.
     */
    private boolean warmUp() {
        DeliveryResult sample = DeliveryResult.newBuilder().setAccountId("warm-up").setAt(Instant.EPOCH).build();
        while (running) {
            try {
                results.serialize(resultTopic, sample);
                return true;
            } catch (RuntimeException e) {
                LOG.warn("{} executor waiting for the schema registry before taking commands: {}", service, e.getMessage());
                try {
                    Thread.sleep(REGISTRY_BACKOFF.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    private void take(ConsumerRecord<byte[], byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Instant waitUntil = retryAt.get(partition);
        if (waitUntil != null) {
            return; // the partition waits for the registry; its records are read again after the seek
        }
        C command;
        try {
            command = record.value() == null ? null : commands.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            if (SchemaRegistryException.isOutage(e)) {
                // not the command's fault: read it again once the registry answers
                LOG.warn("{} executor waiting for the schema registry at {}-{}@{}", service, record.topic(), record.partition(),
                        record.offset());
                consumer.seek(partition, record.offset());
                consumer.pause(List.of(partition));
                retryAt.put(partition, Instant.now().plus(REGISTRY_BACKOFF));
                return;
            }
            deadLetter(record, partition, DeadLetterReason.DESERIALIZATION, e.getMessage());
            return;
        }
        track(partition, record.offset());
        if (!DeliveryProcessor.isFor(record.headers(), applicationId)) {
            done.add(new Done(partition, record.offset())); // another application's command
            return;
        }
        if (command == null) {
            deadLetter(record, partition, DeadLetterReason.NULL_VALUE, "command without a value");
            return;
        }
        inFlight.incrementAndGet();
        long started = System.nanoTime();
        CompletionStage<DeliveryResult> stage;
        try {
            stage = calls.execute(command);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((result, failure) -> {
            DeliveryResult answer = result;
            if (failure != null || answer == null) {
                LOG.error("{} command at {}-{}@{} failed unexpectedly", service, record.topic(), record.partition(), record.offset(),
                        failure);
                answer = calls.failed(command, failure);
            }
            publish(answer, calls.accountOf(command), partition, record.offset(), started);
        });
    }

    private void publish(DeliveryResult result, String account, TopicPartition partition, long offset, long started) {
        byte[] value;
        try {
            value = results.serialize(resultTopic, result);
        } catch (RuntimeException e) {
            // the result's schema id is looked up once at start (see warmUp); failing here is a bug: do not commit
            healthy = false;
            inFlight.decrementAndGet();
            LOG.error("{} cannot encode the result of the command at {}@{}", service, partition, offset, e);
            return;
        }
        producer.send(new ProducerRecord<>(resultTopic, null, account.getBytes(StandardCharsets.UTF_8), value,
                DeliveryProcessor.stamped(applicationId)), (metadata, failure) -> {
            inFlight.decrementAndGet();
            if (failure != null) {
                // the command stays uncommitted: after a restart it is executed again (its calls are idempotent)
                healthy = false;
                LOG.error("{} cannot publish the result of the command at {}@{}", service, partition, offset, failure);
                return;
            }
            commandTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            done.add(new Done(partition, offset));
        });
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, TopicPartition partition, DeadLetterReason reason, String detail) {
        LOG.warn("{} dead-lettered command {}-{}@{}: {} {}", service, record.topic(), record.partition(), record.offset(), reason, detail);
        deadLettered.increment();
        track(partition, record.offset());
        inFlight.incrementAndGet();
        producer.send(DeadLetters.record(deadLetterTopic, record.key(), record.value(), record.headers(),
                new DeadLetters.Cause(service, reason, detail, record.topic(), record.partition(), record.offset())), (metadata, failure) -> {
                    inFlight.decrementAndGet();
                    if (failure != null) {
                        healthy = false;
                        LOG.error("{} cannot dead-letter the command at {}@{}", service, partition, record.offset(), failure);
                        return;
                    }
                    done.add(new Done(partition, record.offset()));
                });
    }

    private void track(TopicPartition partition, long offset) {
        TreeSet<Long> offsets = pending.get(partition);
        if (offsets == null) {
            return; // revoked meanwhile
        }
        offsets.add(offset);
        consumed.put(partition, offset + 1);
    }

    /** Takes in what finished since the last round, and lets partitions that waited for the registry go on. */
    private void settle() {
        Done finished;
        while ((finished = done.poll()) != null) {
            TreeSet<Long> offsets = pending.get(finished.partition());
            if (offsets != null) {
                offsets.remove(finished.offset());
            }
        }
        Instant now = Instant.now();
        List<TopicPartition> ready = new ArrayList<>();
        retryAt.forEach((partition, at) -> {
            if (!now.isBefore(at)) {
                ready.add(partition);
            }
        });
        for (TopicPartition partition : ready) {
            retryAt.remove(partition);
            if (!paused && consumer.assignment().contains(partition)) {
                consumer.resume(List.of(partition));
            }
        }
    }

    /** Pauses every partition at the in-flight limit, resumes below three quarters of it: polling never stops. */
    private void throttle() {
        int now = inFlight.get();
        if (!paused && now >= maxInFlight) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && now < maxInFlight * 3 / 4) {
            Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
            resume.removeAll(retryAt.keySet());
            consumer.resume(resume);
            paused = false;
        }
    }

    /** Commits each partition up to its oldest command whose result is not acknowledged yet. */
    private void commit(boolean sync) {
        Instant now = Instant.now();
        if (!sync && now.isBefore(lastCommit.plus(COMMIT_EVERY))) {
            return;
        }
        lastCommit = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = safeOffsets(pending.keySet());
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
            committed.putAll(toLongs(offsets));
        } else {
            consumer.commitAsync(offsets, (done, failure) -> {
                if (failure != null) {
                    LOG.warn("{} executor commit failed (retried with the next): {}", service, failure.toString());
                }
            });
            committed.putAll(toLongs(offsets));
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> safeOffsets(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            TreeSet<Long> open = pending.get(partition);
            Long next = open == null || open.isEmpty() ? consumed.get(partition) : open.first();
            if (next != null && !next.equals(committed.get(partition))) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        }
        return offsets;
    }

    private static Map<TopicPartition, Long> toLongs(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<TopicPartition, Long> longs = new HashMap<>();
        offsets.forEach((partition, offset) -> longs.put(partition, offset.offset()));
        return longs;
    }

    /** On close: lets the commands in flight finish (bounded), so that their results are published and committed. */
    private void drain(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (inFlight.get() > 0 && Instant.now().isBefore(deadline)) {
            settle();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        settle();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            settle();
            Map<TopicPartition, OffsetAndMetadata> offsets = safeOffsets(partitions);
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets);
                } catch (RuntimeException e) {
                    LOG.warn("{} executor could not commit revoked partitions: {}", service, e.toString());
                }
            }
            forget(partitions);
            if (!partitions.isEmpty()) {
                rebalances.increment();
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
            rebalances.increment();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                pending.put(partition, new TreeSet<>());
                committed.remove(partition);
            }
            if (paused) {
                consumer.pause(partitions);
            }
        }

        private void forget(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                pending.remove(partition);
                consumed.remove(partition);
                committed.remove(partition);
                retryAt.remove(partition);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(Duration.ofSeconds(45).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
