package org.cse.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.events.DlqReplay;
import org.cse.runtime.auth.Operators;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code cse-ops dlq list | show | replay}: the dead-letter topics. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Dead letters: count them by reason, show one, replay one after a fix.",
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Show.class, DlqCommand.Replay.class})
final class DlqCommand implements Runnable {
    /** Header on a replayed record: the dead letter's coordinates. */
    static final String REPLAY_OF = "cse.replay.of";
    /** Header on a replayed record: who replayed it. */
    static final String REPLAY_OPERATOR = "cse.replay.operator";
    /** The one transactional id of replays: two operators replaying at once fence each other, so a record is put back once. */
    static final String TRANSACTIONAL_ID = "cse-ops-replay";
    /** Topics a dead letter may be put back on: the pipeline's inputs (the ACL grant of ops-replay says the same). */
    static final Set<String> REPLAYABLE = Set.of(Topics.REPORTS.name(), Topics.VERDICTS.name(), Topics.APPEALS.name(),
            Topics.ACCOUNT_EVENTS.name(), Topics.DECISIONS.name());

    @ParentCommand
    private OpsCli root;
    @Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a dlq command: list, show or replay");
    }

    /** Where a dead letter lies: {@code <dead-letter topic>/<partition>/<offset>}, also its key in the replay log. */
    record Coordinates(String topic, int partition, long offset) {
        static Coordinates parse(String text) {
            String[] parts = text.split("/");
            try {
                Coordinates c = new Coordinates(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
                if (parts.length == 3 && Topics.DEAD_LETTERS.stream().anyMatch(t -> t.name().equals(c.topic()))) {
                    return c;
                }
            } catch (RuntimeException e) {
                // told below
            }
            throw new OpsFailure(OpsFailure.Exit.USAGE, "'" + text + "' is not <dead-letter topic>/<partition>/<offset>, e.g. "
                    + Topics.CLASSIFIER_DLQ.name() + "/0/12; dead-letter topics: "
                    + Topics.DEAD_LETTERS.stream().map(Topic::name).toList());
        }

        @Override
        public String toString() {
            return topic + "/" + partition + "/" + offset;
        }
    }

    /** The replay log, key → record, read to its end. */
    static Map<String, DlqReplay> replays(KafkaConsumer<byte[], byte[]> consumer, OpsSettings settings) {
        var values = new RegistryAvroSerde<>(settings.kafka().registryClient(), DlqReplay.class, false).deserializer();
        Map<String, DlqReplay> replays = new HashMap<>();
        Cluster.read(consumer, List.of(Topics.DLQ_REPLAYS.name()), null, false, record -> {
            String key = RecordText.key(record.key());
            if (record.value() == null) {
                replays.remove(key);
            } else {
                replays.put(key, values.deserialize(record.topic(), record.value()));
            }
            return true;
        });
        return replays;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Dead letters per topic, reason and source topic, and how many were replayed.")
    static final class ListDeadLetters extends OpsCommand implements Callable<Integer> {

        @Override
        public Integer call() {
            OpsSettings settings = root().settings();
            Map<List<String>, long[]> counts = new TreeMap<>((a, b) -> String.join("\u0000", a).compareTo(String.join("\u0000", b)));
            try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
                Map<String, DlqReplay> replays = replays(consumer, settings);
                for (Topic<byte[], byte[]> topic : Topics.DEAD_LETTERS) {
                    Cluster.read(consumer, List.of(topic.name()), null, false, record -> {
                        long[] count = counts.computeIfAbsent(List.of(topic.name(), String.valueOf(
                                        DeadLetters.header(record.headers(), DeadLetters.REASON)),
                                String.valueOf(DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC))), k -> new long[2]);
                        count[0]++;
                        if (replays.containsKey(new Coordinates(topic.name(), record.partition(), record.offset()).toString())) {
                            count[1]++;
                        }
                        return true;
                    });
                }
            }
            PrintWriter out = out();
            if (output.json) {
                ArrayNode rows = JsonNodeFactory.instance.arrayNode();
                counts.forEach((k, v) -> rows.addObject().put("topic", k.get(0)).put("reason", k.get(1)).put("sourceTopic", k.get(2))
                        .put("count", v[0]).put("replayed", v[1]));
                out.println(Output.json(rows));
            } else {
                Output.Table table = new Output.Table("DEAD-LETTER TOPIC", "REASON", "SOURCE TOPIC", "COUNT", "REPLAYED");
                counts.forEach((k, v) -> table.row(k.get(0), k.get(1), k.get(2), v[0], v[1]));
                table.print(out);
                out.println(counts.values().stream().mapToLong(v -> v[0]).sum() + " dead letter(s) in " + Topics.DEAD_LETTERS.size()
                        + " topics");
            }
            out.flush();
            return OpsFailure.Exit.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One dead letter: its headers (reason, source, detail), key and value (redacted).")
    static final class Show extends OpsCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<topic/partition/offset>", description = "e.g. cse.classifier.dlq.v1/0/12 (dlq list, tail --json show them).")
        String where;
        @Option(names = "--show-content", description = "Show report content unredacted (audited).")
        boolean showContent;

        @Override
        public Integer call() {
            Coordinates at = Coordinates.parse(where);
            OpsSettings settings = root().settings();
            if (showContent) {
                auditContent(settings, at.toString());
            }
            ObjectNode view;
            try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
                ConsumerRecord<byte[], byte[]> record = Cluster.one(consumer, at.topic(), at.partition(), at.offset());
                view = TailCommand.line(record, RecordText.key(record.key()),
                        new RecordText(settings.kafka().registryClient(), showContent).value(record.value()));
                DlqReplay replay = replays(consumer, settings).get(at.toString());
                view.put("replayed", replay == null ? null : replay.getOperator() + " at " + replay.getReplayedAt());
            }
            PrintWriter out = out();
            if (output.json) {
                out.println(Output.json(view));
            } else {
                out.println("dead letter " + at + " written " + view.path("timestamp").asText());
                view.path("headers").fields().forEachRemaining(h -> out.println("  " + h.getKey() + ": " + h.getValue().asText()));
                out.println("  key: " + view.path("key").asText());
                out.println("  value: " + view.path("value"));
                out.println("  replayed: " + (view.path("replayed").isNull() ? "no" : view.path("replayed").asText()));
            }
            out.flush();
            return OpsFailure.Exit.OK;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Put a dead letter's original bytes back on the topic it came from, after the fix is deployed.",
                    "Runs as the break-glass Kafka user ops-replay (KAFKA_USERNAME). The record gets the headers "
                            + REPLAY_OF + " and " + REPLAY_OPERATOR + ";",
                    "the replay is recorded in cse.ops.replays.v1 in the same transaction, and a second replay of the same dead letter is refused."})
    static final class Replay extends OpsCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<topic/partition/offset>", description = "The dead letter, e.g. cse.classifier.dlq.v1/0/12.")
        String where;
        @Option(names = "--confirm", description = "Do it (without it, only says what would be done).")
        boolean confirm;

        @Override
        public Integer call() {
            Coordinates at = Coordinates.parse(where);
            OpsSettings settings = root().settings();
            PrintWriter out = out();
            try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
                ConsumerRecord<byte[], byte[]> record = Cluster.one(consumer, at.topic(), at.partition(), at.offset());
                String source = DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC);
                String reason = DeadLetters.header(record.headers(), DeadLetters.REASON);
                if (source == null || !(REPLAYABLE.contains(source) || Topics.publisherOf(source) != null)) {
                    throw new OpsFailure(OpsFailure.Exit.REFUSED, "dead letter " + at + " came from " + source
                            + ", which is not a topic dead letters are put back on (only the pipeline's inputs: raw reports, "
                            + String.join(", ", new java.util.TreeSet<>(REPLAYABLE)) + ")");
                }
                if (DeadLetters.header(record.headers(), DeadLetters.TRUNCATED) != null) {
                    throw new OpsFailure(OpsFailure.Exit.REFUSED, "dead letter " + at + " was cut to fit the dead-letter topic: "
                            + "its original bytes are gone and cannot be replayed");
                }
                Cluster.partitions(consumer, source);
                refuseIfReplayed(replays(consumer, settings), at, record);
                if (!confirm) {
                    throw new OpsFailure(OpsFailure.Exit.REFUSED, "would put dead letter " + at + " (" + reason + ") back on " + source
                            + "; add --confirm to do it");
                }
                RecordMetadata written = replay(settings, consumer, at, record, source, reason);
                Operators.audit(settings.operator(), "replayed dead letter " + at + " to", source + "/" + written.partition() + "/"
                        + written.offset(), "cse-ops");
                if (output.json) {
                    out.println(Output.json(JsonNodeFactory.instance.objectNode().put("deadLetter", at.toString()).put("reason", reason)
                            .put("sourceTopic", source).put("partition", written.partition()).put("offset", written.offset())
                            .put("operator", settings.operator())));
                } else {
                    out.println("replayed " + at + " (" + reason + ") to " + source + "/" + written.partition() + "/" + written.offset()
                            + " as " + settings.operator());
                }
            }
            out.flush();
            return OpsFailure.Exit.OK;
        }

        /**
         * Refused when this dead letter was replayed, or another dead letter of the same source record (one
         * decision enforcement and escalation both refused is two dead letters, and goes back once).
         */
        private static void refuseIfReplayed(Map<String, DlqReplay> log, Coordinates at, ConsumerRecord<byte[], byte[]> record) {
            DlqReplay earlier = log.get(at.toString());
            if (earlier != null) {
                throw new OpsFailure(OpsFailure.Exit.REFUSED, "dead letter " + at + " was already replayed by " + earlier.getOperator()
                        + " at " + earlier.getReplayedAt() + "; it is not replayed twice");
            }
            String source = DeadLetters.header(record.headers(), DeadLetters.SOURCE_TOPIC);
            long offset = sourceOffset(record);
            if (offset < 0) {
                return;
            }
            for (Map.Entry<String, DlqReplay> entry : log.entrySet()) {
                DlqReplay other = entry.getValue();
                if (other.getSourceTopic().equals(source) && other.getSourcePartition() == sourcePartition(record)
                        && other.getSourceOffset() == offset) {
                    throw new OpsFailure(OpsFailure.Exit.REFUSED, "the record dead letter " + at + " came from (" + source + "/"
                            + sourcePartition(record) + "/" + offset + ") was already replayed from " + entry.getKey() + " by "
                            + other.getOperator() + " at " + other.getReplayedAt() + "; it is not replayed twice");
                }
            }
        }

        private static int sourcePartition(ConsumerRecord<byte[], byte[]> record) {
            return (int) number(DeadLetters.header(record.headers(), DeadLetters.SOURCE_PARTITION));
        }

        private static long sourceOffset(ConsumerRecord<byte[], byte[]> record) {
            return number(DeadLetters.header(record.headers(), DeadLetters.SOURCE_OFFSET));
        }

        private static long number(String header) {
            try {
                return header == null ? -1 : Long.parseLong(header);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        private static RecordMetadata replay(OpsSettings settings, KafkaConsumer<byte[], byte[]> consumer, Coordinates at,
                                             ConsumerRecord<byte[], byte[]> record, String source, String reason) {
            Properties props = settings.client("cse-ops-replay");
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
            var replays = new RegistryAvroSerde<>(settings.kafka().registryClient(), DlqReplay.class, false).serializer();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                // after initTransactions any earlier holder of the id is fenced and its open transaction settled,
                // so the log read next shows every replay that can still commit
                producer.initTransactions();
                refuseIfReplayed(replays(consumer, settings), at, record);
                RecordHeaders headers = new RecordHeaders();
                for (Header header : record.headers()) {
                    if (!header.key().startsWith("cse.dlq.")) {
                        headers.add(header);
                    }
                }
                headers.add(REPLAY_OF, at.toString().getBytes(StandardCharsets.UTF_8));
                headers.add(REPLAY_OPERATOR, settings.operator().getBytes(StandardCharsets.UTF_8));
                DlqReplay log = DlqReplay.newBuilder().setDeadLetterTopic(at.topic()).setDeadLetterPartition(at.partition())
                        .setDeadLetterOffset(at.offset()).setSourceTopic(source).setSourcePartition(sourcePartition(record))
                        .setSourceOffset(sourceOffset(record)).setReason(String.valueOf(reason))
                        .setOperator(settings.operator()).setReplayedAt(Instant.now()).build();
                producer.beginTransaction();
                var sent = producer.send(new ProducerRecord<>(source, null, record.key(), record.value(), headers));
                producer.send(new ProducerRecord<>(Topics.DLQ_REPLAYS.name(), at.toString().getBytes(StandardCharsets.UTF_8),
                        replays.serialize(Topics.DLQ_REPLAYS.name(), log)));
                producer.commitTransaction();
                return sent.get(15, TimeUnit.SECONDS);
            } catch (OpsFailure e) {
                throw e;
            } catch (KafkaException e) {
                throw Cluster.translate(e);
            } catch (Exception e) {
                throw Cluster.translate(e);
            }
        }
    }
}
