package org.cse.escalation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Serde;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.runtime.KafkaSettings;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The referral state machine's memory: the compacted {@code cse.referrals.v1} topic, read from the
 * beginning at start-up and then tailed, plus synchronous writes. A state is written (acks=all) before
 * the next external call, so after a crash the service resumes from the last step that NCMEC saw,
 * rather than opening a second report.
 */
final class ReferralStates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReferralStates.class);

    private final Map<String, ReferralState> byId = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, ReferralState> consumer;
    private final KafkaProducer<String, ReferralState> producer;
    private final Thread tail;
    private final BlockingQueue<CompletableFuture<Void>> syncRequests = new LinkedBlockingQueue<>();
    private volatile boolean caughtUp;
    private volatile boolean running = true;

    ReferralStates(KafkaSettings kafka, SchemaRegistry registry, String clientId) {
        Serde<ReferralState> serde = Topics.REFERRALS.valueSerde(registry);
        Properties consumerProps = kafka.consumer(clientId + "-states", clientId + "-states-unused");
        this.consumer = new KafkaConsumer<>(consumerProps, Topics.REFERRALS.keySerde().deserializer(), serde.deserializer());
        Properties producerProps = kafka.producer(clientId + "-states");
        // every write waits for its acknowledgement before the next call: lingering would only add latency
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        this.producer = new KafkaProducer<>(producerProps, Topics.REFERRALS.keySerde().serializer(), serde.serializer());
        this.tail = new Thread(this::run, clientId + "-referral-states");
        this.tail.setDaemon(true);
    }

    void start() {
        tail.start();
    }

    /** Blocks until every state written before start-up has been read. */
    void awaitCaughtUp(Duration timeout) throws TimeoutException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!caughtUp) {
            if (Instant.now().isAfter(deadline)) {
                throw new TimeoutException("referral states not restored within " + timeout);
            }
            Thread.sleep(50);
        }
    }

    boolean isCaughtUp() {
        return caughtUp && tail.isAlive();
    }

    Optional<ReferralState> get(String referralId) {
        return Optional.ofNullable(byId.get(referralId));
    }

    /** NCMEC report ids already finished for this account: linked as priorCTReports. */
    List<String> finishedReportIds(String accountId, String exceptReferralId) {
        List<String> ids = new ArrayList<>();
        for (ReferralState state : byId.values()) {
            if (state.getAccountId().equals(accountId) && state.getStatus() == ReferralStatus.FINISHED
                    && state.getExternalReportId() != null && !state.getReferralId().equals(exceptReferralId)) {
                ids.add(state.getExternalReportId());
            }
        }
        ids.sort(null);
        return ids;
    }

    /** Writes a state and waits for the broker's acknowledgement. */
    void write(ReferralState state) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REFERRALS.name(), state.getReferralId(), state)).get(30, TimeUnit.SECONDS);
        byId.merge(state.getReferralId(), state, ReferralStates::newer);
    }

    private static ReferralState newer(ReferralState a, ReferralState b) {
        return b.getUpdatedAt().isBefore(a.getUpdatedAt()) ? a : b;
    }

    /**
     * Blocks until every state written anywhere before this call has been read. Called when this
     * instance takes over decision partitions: the instance that had them may have just finished a
     * referral, and that must be seen before the same decision is handled here again.
     */
    void awaitCurrent(Duration timeout) throws TimeoutException, InterruptedException {
        CompletableFuture<Void> sync = new CompletableFuture<>();
        syncRequests.add(sync);
        try {
            sync.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("referral state reader failed", e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException("referral states not current within " + timeout);
        }
    }

    private void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.REFERRALS.name()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            int restored = 0;
            Map<TopicPartition, Long> syncTarget = null;
            List<CompletableFuture<Void>> waiting = new ArrayList<>();
            while (running) {
                for (ConsumerRecord<String, ReferralState> record : consumer.poll(Duration.ofMillis(caughtUp ? 200 : 50))) {
                    if (record.value() == null) {
                        byId.remove(record.key());
                    } else {
                        byId.merge(record.key(), record.value(), ReferralStates::newer);
                    }
                    restored++;
                }
                if (!caughtUp && reached(end)) {
                    caughtUp = true;
                    LOG.info("restored {} referral state record(s), {} referral(s)", restored, byId.size());
                }
                if (syncTarget == null && !syncRequests.isEmpty()) {
                    syncRequests.drainTo(waiting);
                    syncTarget = consumer.endOffsets(partitions);
                }
                if (syncTarget != null && reached(syncTarget)) {
                    waiting.forEach(sync -> sync.complete(null));
                    waiting.clear();
                    syncTarget = null;
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("referral state reader stopped", e);
            syncRequests.forEach(sync -> sync.completeExceptionally(e));
        }
    }

    private boolean reached(Map<TopicPartition, Long> offsets) {
        return offsets.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            tail.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
        producer.close(Duration.ofSeconds(10));
    }
}
