package org.cse.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consume, call out, produce: the loop of a service whose work has side effects outside Kafka
 * (enforcement, escalation). Each poll's records are handled, then all their outputs and offsets are
 * committed in one Kafka transaction, so outputs appear exactly once. The side effects themselves
 * must be idempotent (Idempotency-Key, persisted referral state), because a crash between the call
 * and the commit replays the records.
 *
 * <p>Records of different partitions are handled in parallel on {@code workers} threads; records of
 * one partition (one account, since topics are keyed by account) are handled one after the other, in
 * order. The handler must therefore be safe to call from several threads at once.
 *
 * <p>A handler that refuses a record ({@link DeadLetterException}) sends it to the dead-letter topic.
 * A handler that fails for another reason is retried with backoff; after {@code maxFailures} failures
 * in a row the record is dead-lettered with reason PROCESSING_FAILED, so one bad record never stops
 * the partition for good. A schema registry outage is waited out instead: it is no record's fault.
 */
public final class TransactionalLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionalLoop.class);
    private static final Duration MAX_OUTAGE_BACKOFF = Duration.ofSeconds(30);

    /** Handles one input record; returns the records to produce with it. Called from several threads. */
    @FunctionalInterface
    public interface Handler {
        List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) throws Exception;
    }

    /**
     * Reads a record's value for a handler. A record that cannot be read, or has no value, is refused
     * (DESERIALIZATION, NULL_VALUE); a schema registry outage is not the record's fault and propagates,
     * so the loop retries the record until the registry is back.
     */
    public static <T> T readValue(ConsumerRecord<byte[], byte[]> record, Deserializer<T> deserializer, String what)
            throws DeadLetterException {
        T value;
        try {
            value = deserializer.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            if (SchemaRegistryException.isOutage(e)) {
                throw e;
            }
            throw new DeadLetterException(DeadLetterReason.DESERIALIZATION, e.getMessage(), e);
        }
        if (value == null) {
            throw new DeadLetterException(DeadLetterReason.NULL_VALUE, what + " record without a value");
        }
        return value;
    }

    /** Runs on the loop thread when partitions are assigned, before any of their records is handled. */
    @FunctionalInterface
    public interface AssignmentHook {
        void assigned(Collection<TopicPartition> partitions) throws Exception;
    }

    /** One partition's share of a poll: handled in order; what to produce; where to resume. */
    private final class PartitionWork implements Callable<PartitionWork> {
        final TopicPartition partition;
        final List<ConsumerRecord<byte[], byte[]>> records;
        final List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        int handled;

        PartitionWork(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
            this.partition = partition;
            this.records = records;
        }

        @Override
        public PartitionWork call() {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                List<ProducerRecord<byte[], byte[]>> produced = handleWithRetries(record);
                if (produced == null) {
                    break;
                }
                outputs.addAll(produced);
                handled++;
            }
            return this;
        }

        long firstOffset() {
            return records.get(0).offset();
        }

        /** The offset after the last handled record. */
        long nextOffset() {
            return records.get(handled - 1).offset() + 1;
        }
    }

    private final String name;
    private final String inputTopic;
    private final String deadLetterTopic;
    private final Handler handler;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;
    private final Counter processed;
    private final Counter deadLettered;
    private final Counter retried;
    private final int maxFailures;
    private final Duration failureBackoff;
    private final ExecutorService workers;
    private final Thread thread;
    private volatile AssignmentHook assignmentHook = partitions -> { };
    private volatile boolean running;
    private volatile boolean assignedAndPolling;
    /** Commits that failed in a row: past a few, the loop is not healthy (it is handling the same records again and again). */
    private volatile int failedCommits;
    private static final int UNHEALTHY_AFTER_FAILED_COMMITS = 3;

    /**
     * @param maxRecordsPerPoll records handled per transaction, at most
     * @param workers threads handling partitions in parallel
     */
    public TransactionalLoop(String name, KafkaSettings kafka, String groupId, String transactionalId, String inputTopic,
                             String deadLetterTopic, int maxRecordsPerPoll, int workers, int maxFailures, Duration failureBackoff,
                             MeterRegistry metrics, Handler handler) {
        this.name = name;
        this.inputTopic = inputTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.handler = handler;
        this.maxFailures = maxFailures;
        this.failureBackoff = failureBackoff;
        Properties consumerProps = kafka.consumer(name + "-consumer", groupId);
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxRecordsPerPoll));
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Properties producerProps = kafka.producer(name + "-producer");
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        this.producerMetrics = new KafkaClientMetrics(producer);
        consumerMetrics.bindTo(metrics);
        producerMetrics.bindTo(metrics);
        this.processed = Counter.builder("cse_loop_records_processed").tag("loop", name).register(metrics);
        this.deadLettered = Counter.builder("cse_loop_records_dead_lettered").tag("loop", name)
                .description("Input records sent to the dead-letter topic").register(metrics);
        this.retried = Counter.builder("cse_loop_record_retries").tag("loop", name)
                .description("Handler failures that led to a retry of the same record").register(metrics);
        AtomicInteger workerNumber = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(workers, runnable -> {
            Thread worker = new Thread(runnable, name + "-worker-" + workerNumber.incrementAndGet());
            worker.setDaemon(true);
            return worker;
        });
        this.thread = new Thread(this::run, name + "-loop");
    }

    /** Sets what must happen before newly assigned partitions are handled; call before {@link #start()}. */
    public TransactionalLoop onAssignment(AssignmentHook hook) {
        this.assignmentHook = hook;
        return this;
    }

    public void start() {
        running = true;
        producer.initTransactions();
        consumer.subscribe(List.of(inputTopic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // nothing in hand: each poll's records are committed or rewound before the next poll
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (partitions.isEmpty()) {
                    return;
                }
                try {
                    assignmentHook.assigned(partitions);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(name + " interrupted while taking over " + partitions, e);
                } catch (Exception e) {
                    // taking over without what the hook guarantees could repeat an external call: stop instead
                    throw new IllegalStateException(name + " cannot take over " + partitions + ": " + e.getMessage(), e);
                }
            }
        });
        thread.start();
    }

    /** Running and polling: the service's readiness. */
    public boolean isHealthy() {
        return running && thread.isAlive() && assignedAndPolling && failedCommits < UNHEALTHY_AFTER_FAILED_COMMITS;
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(250));
                assignedAndPolling = true;
                if (!records.isEmpty()) {
                    commit(handleAll(records));
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (ProducerFencedException | AuthorizationException e) {
            LOG.error("{} stopped: {}", name, e.toString());
        } catch (RuntimeException e) {
            LOG.error("{} stopped by an unexpected error", name, e);
        } finally {
            running = false;
            assignedAndPolling = false;
            leaveGroup();
        }
    }

    /** A stopped loop leaves the group at once, so its partitions move to a live instance without waiting for a timeout. */
    private void leaveGroup() {
        try {
            consumer.unsubscribe();
        } catch (RuntimeException e) {
            LOG.debug("{} could not leave the group: {}", name, e.toString());
        }
    }

    /** Hands each partition's records to a worker and waits for all of them. */
    private List<PartitionWork> handleAll(ConsumerRecords<byte[], byte[]> records) {
        List<PartitionWork> work = records.partitions().stream().map(p -> new PartitionWork(p, records.records(p))).toList();
        if (work.size() == 1) {
            return List.of(work.get(0).call());
        }
        try {
            for (Future<PartitionWork> done : workers.invokeAll(work)) {
                done.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a worker failed outside the handler", e.getCause());
        }
        return work;
    }

    /** Returns the records to produce for this one, or null when the loop is stopping and it was not handled. */
    private List<ProducerRecord<byte[], byte[]>> handleWithRetries(ConsumerRecord<byte[], byte[]> record) {
        int failures = 0;
        int outageRetries = 0;
        while (running) {
            try {
                return handler.handle(record);
            } catch (DeadLetterException e) {
                LOG.warn("{} dead-lettered {}-{}@{}: {} {}", name, record.topic(), record.partition(), record.offset(),
                        e.reason(), e.getMessage());
                deadLettered.increment();
                return List.of(deadLetter(record, e.reason(), e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (Exception e) {
                if (SchemaRegistryException.isOutage(e)) {
                    // every record needs the registry: wait for it, however long, rather than dead-letter good records
                    outageRetries++;
                    retried.increment();
                    if (outageRetries == 1 || outageRetries % 10 == 0) {
                        LOG.warn("{} waiting for the schema registry on {}-{}@{} (attempt {}): {}", name, record.topic(),
                                record.partition(), record.offset(), outageRetries, e.toString());
                    }
                    pause(Collections.min(List.of(failureBackoff.multipliedBy(outageRetries), MAX_OUTAGE_BACKOFF)));
                    continue;
                }
                failures++;
                if (failures < maxFailures) {
                    retried.increment();
                    LOG.warn("{} failed on {}-{}@{} (attempt {} of {}): {}", name, record.topic(), record.partition(),
                            record.offset(), failures, maxFailures, e.toString());
                    pause(failureBackoff.multipliedBy(failures));
                    continue;
                }
                LOG.error("{} gave up on {}-{}@{} after {} attempts: dead-lettering it", name, record.topic(),
                        record.partition(), record.offset(), failures, e);
                deadLettered.increment();
                return List.of(deadLetter(record, DeadLetterReason.PROCESSING_FAILED, e.toString()));
            }
        }
        return null;
    }

    /**
     * Commits what was handled, outputs and offsets, in one transaction. Partitions not handled to the
     * end (the loop is stopping) resume at their first unhandled record; if the commit fails, every
     * partition of the poll is handled again.
     */
    private void commit(List<PartitionWork> work) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        for (PartitionWork partition : work) {
            if (partition.handled > 0) {
                offsets.put(partition.partition, new OffsetAndMetadata(partition.nextOffset()));
                outputs.addAll(partition.outputs);
            }
            if (partition.handled < partition.records.size()) {
                consumer.seek(partition.partition, partition.records.get(partition.handled).offset());
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            producer.beginTransaction();
            outputs.forEach(producer::send);
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
            failedCommits = 0;
            processed.increment(work.stream().mapToInt(partition -> partition.handled).sum());
        } catch (ProducerFencedException e) {
            throw e;
        } catch (KafkaException e) {
            failedCommits++;
            LOG.warn("{} could not commit {} records of {} (failure {} in a row): {}; root cause: {}; will process them again", name,
                    work.stream().mapToInt(partition -> partition.handled).sum(), offsets.keySet(), failedCommits, e.toString(),
                    rootCause(e).toString());
            try {
                producer.abortTransaction();
            } catch (ProducerFencedException fenced) {
                throw fenced;
            } catch (KafkaException abortFailure) {
                LOG.warn("{} abort failed: {}", name, abortFailure.toString());
            }
            work.forEach(partition -> consumer.seek(partition.partition, partition.firstOffset()));
        }
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String detail) {
        return DeadLetters.record(deadLetterTopic, record.key(), record.value(), record.headers(),
                new DeadLetters.Cause(name, reason, detail, record.topic(), record.partition(), record.offset()));
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops taking input, finishes the records in hand, and closes the clients. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        consumerMetrics.close();
        producerMetrics.close();
        producer.close(Duration.ofSeconds(10));
        consumer.close(Duration.ofSeconds(10));
    }
}
