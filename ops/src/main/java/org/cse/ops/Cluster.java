package org.cse.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.cse.schemas.registry.SchemaRegistryException;

/**
 * cse-ops' view of the Kafka cluster: reading topics from a point to their end (or following them)
 * without joining any consumer group, end offsets and the services' group lag. Every Kafka failure
 * leaves here as an {@link OpsFailure} with one line and its exit code.
 */
final class Cluster implements AutoCloseable {
    private final OpsSettings settings;
    private Admin admin;

    Cluster(OpsSettings settings) {
        this.settings = settings;
    }

    /** The admin client, checked once: an unreachable broker or a refused credential fails here in seconds. */
    synchronized Admin admin() {
        if (admin == null) {
            Admin created = Admin.create(settings.client("cse-ops-admin"));
            try {
                created.describeCluster().clusterId().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                created.close(Duration.ofSeconds(1));
                OpsFailure failure = translate(e);
                throw failure.exitCode() == OpsFailure.Exit.BROKER_UNREACHABLE ? new OpsFailure(failure.exitCode(),
                        "the Kafka broker at " + settings.kafka().bootstrapServers() + " did not answer in 15 s (KAFKA_BOOTSTRAP_SERVERS)")
                        : failure;
            }
            admin = created;
        }
        return admin;
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        admin();
        Properties props = settings.client("cse-ops-reader");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // what the services see: an aborted transaction's records are not shown
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        return new KafkaConsumer<>(props);
    }

    /** The partitions of a topic, or NOT_FOUND. */
    static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        } catch (KafkaException e) {
            throw translate(e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new OpsFailure(OpsFailure.Exit.NOT_FOUND, "no topic " + topic);
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        return partitions;
    }

    /**
     * Reads topics from {@code from} (their beginning when null) to the end they had when the read
     * started, or on and on with {@code follow}; {@code each} returns false to stop early.
     */
    static void read(KafkaConsumer<byte[], byte[]> consumer, List<String> topics, Instant from, boolean follow,
                     Predicate<ConsumerRecord<byte[], byte[]>> each) {
        read(consumer, topics, from, follow, each, () -> true);
    }

    /** As above; {@code afterPoll} runs after every poll, records or not, and returns false to stop. */
    static void read(KafkaConsumer<byte[], byte[]> consumer, List<String> topics, Instant from, boolean follow,
                     Predicate<ConsumerRecord<byte[], byte[]>> each, java.util.function.BooleanSupplier afterPoll) {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            topics.forEach(topic -> partitions.addAll(partitions(consumer, topic)));
            consumer.assign(partitions);
            if (from == null) {
                consumer.seekToBeginning(partitions);
            } else {
                Map<TopicPartition, Long> times = new HashMap<>();
                partitions.forEach(p -> times.put(p, from.toEpochMilli()));
                Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times);
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                partitions.forEach(p -> consumer.seek(p, found.get(p) == null ? ends.get(p) : found.get(p).offset()));
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (!each.test(record)) {
                        return;
                    }
                }
                if (!afterPoll.getAsBoolean() || !follow && partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
                    return;
                }
            }
        } catch (KafkaException e) {
            throw translate(e);
        }
    }

    /** The one record at these coordinates, or NOT_FOUND. */
    static ConsumerRecord<byte[], byte[]> one(KafkaConsumer<byte[], byte[]> consumer, String topic, int partition, long offset) {
        try {
            if (partitions(consumer, topic).stream().noneMatch(p -> p.partition() == partition)) {
                throw new OpsFailure(OpsFailure.Exit.NOT_FOUND, "no partition " + partition + " of " + topic);
            }
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
            if (offset < begin || offset >= end) {
                throw new OpsFailure(OpsFailure.Exit.NOT_FOUND, "no record " + topic + "/" + partition + "/" + offset
                        + " (the partition holds offsets " + begin + " to " + (end - 1) + ")");
            }
            consumer.seek(tp, offset);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() == offset) {
                        return record;
                    }
                    if (record.offset() > offset) {
                        break;
                    }
                }
                if (consumer.position(tp) > offset) {
                    break;
                }
            }
            throw new OpsFailure(OpsFailure.Exit.NOT_FOUND, "no record " + topic + "/" + partition + "/" + offset
                    + " (compacted away or a transaction marker)");
        } catch (KafkaException e) {
            throw translate(e);
        }
    }

    /** Records between the beginning and the end of each partition of a topic, summed. */
    Map<String, Long> sizes(List<String> topics) {
        Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, long[]> entry : offsets(topics).entrySet()) {
            sizes.put(entry.getKey(), entry.getValue()[1] - entry.getValue()[0]);
        }
        return sizes;
    }

    /** Per topic: {sum of beginning offsets, sum of end offsets}. Missing topics are left out. */
    Map<String, long[]> offsets(List<String> topics) {
        try {
            var described = admin().describeTopics(topics).topicNameValues();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (String topic : topics) {
                try {
                    described.get(topic).get(15, TimeUnit.SECONDS).partitions().forEach(p -> {
                        earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
                        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                    });
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
            var begins = admin().listOffsets(earliest).all().get(15, TimeUnit.SECONDS);
            var ends = admin().listOffsets(latest).all().get(15, TimeUnit.SECONDS);
            Map<String, long[]> offsets = new HashMap<>();
            begins.forEach((tp, info) -> offsets.computeIfAbsent(tp.topic(), t -> new long[2])[0] += info.offset());
            ends.forEach((tp, info) -> offsets.computeIfAbsent(tp.topic(), t -> new long[2])[1] += info.offset());
            Map<String, long[]> ordered = new java.util.LinkedHashMap<>();
            topics.stream().filter(offsets::containsKey).forEach(t -> ordered.put(t, offsets.get(t)));
            return ordered;
        } catch (Exception e) {
            throw translate(e);
        }
    }

    /** The pipeline's consumer groups this principal may describe (the services' own, {@code cse-*}), with their lag per topic. */
    Map<String, Map<String, Long>> lag() {
        try {
            List<String> groups = new ArrayList<>();
            admin().listGroups().all().get(15, TimeUnit.SECONDS).forEach(g -> {
                if (g.groupId().startsWith("cse-") && !g.groupId().startsWith("cse-ops")) {
                    groups.add(g.groupId());
                }
            });
            groups.sort(null);
            Map<String, Map<String, Long>> lag = new java.util.LinkedHashMap<>();
            for (String group : groups) {
                Map<TopicPartition, OffsetAndMetadata> committed;
                try {
                    committed = admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof GroupAuthorizationException) {
                        continue;
                    }
                    throw e;
                }
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                // the end a read_committed consumer sees: an open transaction and its markers are not lag
                var ends = admin().listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(15, TimeUnit.SECONDS);
                Map<String, Long> perTopic = new java.util.TreeMap<>();
                committed.forEach((tp, offset) -> {
                    if (offset != null && ends.get(tp) != null) {
                        perTopic.merge(tp.topic(), Math.max(0, ends.get(tp).offset() - offset.offset()), Long::sum);
                    }
                });
                lag.put(group, perTopic);
            }
            return lag;
        } catch (Exception e) {
            throw translate(e);
        }
    }

    /** One line for what went wrong with Kafka, and its exit code. */
    static OpsFailure translate(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof ExecutionException || cause instanceof java.util.concurrent.CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof OpsFailure ops) {
            return ops;
        }
        if (cause instanceof SchemaRegistryException registry) {
            return registry.kind() == SchemaRegistryException.Kind.UNAVAILABLE
                    ? new OpsFailure(OpsFailure.Exit.REGISTRY_UNREACHABLE, "the schema registry cannot be reached (SCHEMA_REGISTRY_URL): "
                            + registry.getMessage())
                    : new OpsFailure(OpsFailure.Exit.FAILED, "the schema registry: " + registry.getMessage());
        }
        if (cause instanceof AuthenticationException) {
            return new OpsFailure(OpsFailure.Exit.CREDENTIAL_REFUSED, "the broker refused the Kafka credential (KAFKA_USERNAME): "
                    + cause.getMessage());
        }
        if (cause instanceof TopicAuthorizationException || cause instanceof GroupAuthorizationException
                || cause instanceof TransactionalIdAuthorizationException || cause instanceof AuthorizationException) {
            return new OpsFailure(OpsFailure.Exit.CREDENTIAL_REFUSED, "not allowed for this Kafka user (see deploy/kafka/acls.yaml): "
                    + cause.getMessage());
        }
        if (cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return new OpsFailure(OpsFailure.Exit.BROKER_UNREACHABLE, "the Kafka broker did not answer in time (KAFKA_BOOTSTRAP_SERVERS)");
        }
        if (cause instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new OpsFailure(OpsFailure.Exit.FAILED, "Kafka: " + cause);
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
