package org.cse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cse-ops tail <topic>}: a topic's records, decoded, one per line. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print a topic's records decoded through the schema registry, one per line.",
                "Report content (descriptions, URLs, what was sent to NCMEC or a hotline) is redacted unless --show-content,",
                "which writes an audit line naming you (CSE_OPS_OPERATOR) and the topic."})
final class TailCommand extends OpsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<topic>", description = "The topic, e.g. cse.decisions.v1.")
    String topic;
    @Option(names = "--account", paramLabel = "<id>", description = "Only records keyed by this account or naming it (accountId).")
    String account;
    @Option(names = "--decision", paramLabel = "<id>", description = "Only records naming this decision (decisionId).")
    String decision;
    @Option(names = "--since", paramLabel = "<time>", description = "Start at this time: an instant (2026-12-03T10:00:00Z) or an age (15m, 1h, 2d). Default: 15m.")
    String since;
    @Option(names = "--until", paramLabel = "<time>", description = "Leave out records written after this time.")
    String until;
    @Option(names = "--from-beginning", description = "Start at the beginning of the topic.")
    boolean fromBeginning;
    @Option(names = {"-f", "--follow"}, description = "Keep printing new records until interrupted.")
    boolean follow;
    @Option(names = "--limit", paramLabel = "<n>", description = "Stop after this many matching records.")
    Integer limit;
    @Option(names = "--show-content", description = "Show report content unredacted (audited).")
    boolean showContent;

    @Override
    public Integer call() {
        OpsSettings settings = root().settings();
        Instant from = fromBeginning ? null : Times.instant(since == null ? "15m" : since, root().clock());
        Instant to = Times.instant(until, root().clock());
        PrintWriter out = out();
        if (showContent) {
            auditContent(settings, topic);
        }
        RecordText text = new RecordText(settings.kafka().registryClient(), showContent);
        int[] shown = {0};
        try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
            Cluster.read(consumer, List.of(topic), from, follow, record -> {
                if (to != null && record.timestamp() > to.toEpochMilli()) {
                    return true;
                }
                String key = RecordText.key(record.key());
                JsonNode value = text.value(record.value());
                if (account != null && !account.equals(key) && !RecordText.hasField(value, "accountId", account)) {
                    return true;
                }
                if (decision != null && !RecordText.hasField(value, "decisionId", decision)) {
                    return true;
                }
                out.println(output.json ? Output.json(line(record, key, value)) : Instant.ofEpochMilli(record.timestamp()) + " "
                        + record.topic() + "/" + record.partition() + "/" + record.offset() + " " + key + " " + value);
                out.flush();
                shown[0]++;
                return limit == null || shown[0] < limit;
            });
        }
        if (!output.json) {
            err().println("cse-ops: " + shown[0] + " record(s)");
        }
        return OpsFailure.Exit.OK;
    }

    static ObjectNode line(ConsumerRecord<byte[], byte[]> record, String key, JsonNode value) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("topic", record.topic()).put("partition", record.partition()).put("offset", record.offset())
                .put("timestamp", Instant.ofEpochMilli(record.timestamp()).toString()).put("key", key);
        ObjectNode headers = line.putObject("headers");
        for (Header header : record.headers()) {
            // the pipeline's headers are ids and reasons; a header from elsewhere is shown by its size only
            headers.put(header.key(), header.key().startsWith("cse.") && header.value() != null
                    ? new String(header.value(), StandardCharsets.UTF_8) : "<" + (header.value() == null ? 0 : header.value().length) + " bytes>");
        }
        line.set("value", value);
        return line;
    }
}
