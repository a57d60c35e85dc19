package org.cse.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.schemas.DeadLetters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consume, call out, produce: the loop of a service whose work has side effects outside Kafka
 * (enforcement, escalation). Each input record is handled, then its outputs and its offset are
 * committed in one Kafka transaction, so outputs appear exactly once. The side effects themselves
 * must be idempotent (Idempotency-Key, persisted referral state), because a crash between the call
 * and the commit replays the record.
 *
 * <p>A handler that refuses a record ({@link DeadLetterException}) sends it to the dead-letter topic.
 * A handler that fails for another reason is retried with backoff; after {@code maxFailures} failures
 * in a row the record is dead-lettered with reason PROCESSING_FAILED, so one bad record never stops
 * the partition for good.
 */
public final class TransactionalLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionalLoop.class);

    /** Handles one input record; returns the records to produce with it. */
    @FunctionalInterface
    public interface Handler {
        List<ProducerRecord<byte[], byte[]>> handle(ConsumerRecord<byte[], byte[]> record) throws Exception;
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
    private final Thread thread;
    private volatile boolean running;
    private volatile boolean assignedAndPolling;

    public TransactionalLoop(String name, KafkaSettings kafka, String groupId, String transactionalId, String inputTopic,
                             String deadLetterTopic, int maxRecordsPerPoll, int maxFailures, Duration failureBackoff,
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
        this.thread = new Thread(this::run, name + "-loop");
    }

    public void start() {
        running = true;
        producer.initTransactions();
        consumer.subscribe(List.of(inputTopic));
        thread.start();
    }

    /** Running and polling: the service's readiness. */
    public boolean isHealthy() {
        return running && thread.isAlive() && assignedAndPolling;
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(250));
                assignedAndPolling = true;
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (!running || !processWithRetries(record)) {
                        break;
                    }
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
        }
    }

    /** Returns false when the record could not be committed and the partition was rewound to it. */
    private boolean processWithRetries(ConsumerRecord<byte[], byte[]> record) {
        int failures = 0;
        while (running) {
            List<ProducerRecord<byte[], byte[]>> outputs;
            try {
                outputs = handler.handle(record);
            } catch (DeadLetterException e) {
                outputs = List.of(deadLetter(record, e.reason(), e.getMessage()));
                LOG.warn("{} dead-lettered {}-{}@{}: {} {}", name, record.topic(), record.partition(), record.offset(),
                        e.reason(), e.getMessage());
                deadLettered.increment();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return rewind(record);
            } catch (Exception e) {
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
                outputs = List.of(deadLetter(record, "PROCESSING_FAILED", e.toString()));
                deadLettered.increment();
            }
            return commit(record, outputs);
        }
        return rewind(record);
    }

    private boolean commit(ConsumerRecord<byte[], byte[]> record, List<ProducerRecord<byte[], byte[]>> outputs) {
        try {
            producer.beginTransaction();
            outputs.forEach(producer::send);
            producer.sendOffsetsToTransaction(Map.of(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1)), consumer.groupMetadata());
            producer.commitTransaction();
            processed.increment();
            return true;
        } catch (ProducerFencedException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("{} could not commit {}-{}@{}: {}; will process it again", name, record.topic(), record.partition(),
                    record.offset(), e.toString());
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailure) {
                LOG.warn("{} abort failed: {}", name, abortFailure.toString());
            }
            return rewind(record);
        }
    }

    private boolean rewind(ConsumerRecord<byte[], byte[]> record) {
        consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
        return false;
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, String detail) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.describe(headers, name, reason, detail, record.topic(), record.partition(), record.offset());
        return new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(), headers);
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops taking input, finishes the record in hand, and closes the clients. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumerMetrics.close();
        producerMetrics.close();
        producer.close(Duration.ofSeconds(10));
        consumer.close(Duration.ofSeconds(10));
    }
}
