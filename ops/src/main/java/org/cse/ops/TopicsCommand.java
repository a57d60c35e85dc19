package org.cse.ops;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import picocli.CommandLine.Command;

/** {@code cse-ops topics}: end offsets of the catalogue's topics, the services' lag and the dead-letter counts. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Every topic of the catalogue with its records and end offset, each service's consumer-group lag, and the dead-letter topics' sizes.")
final class TopicsCommand extends OpsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        List<String> names = Topics.ALL.stream().map(Topic::name).toList();
        Map<String, long[]> offsets;
        Map<String, Map<String, Long>> lag;
        try (Cluster cluster = new Cluster(root().settings())) {
            offsets = cluster.offsets(names);
            lag = cluster.lag();
        }
        List<String> deadLetters = Topics.DEAD_LETTERS.stream().map(Topic::name).toList();
        PrintWriter out = out();
        if (output.json) {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            ObjectNode topics = json.putObject("topics");
            offsets.forEach((topic, o) -> topics.putObject(topic).put("records", o[1] - o[0]).put("endOffset", o[1]));
            ObjectNode groups = json.putObject("lag");
            lag.forEach((group, perTopic) -> {
                ObjectNode g = groups.putObject(group);
                perTopic.forEach(g::put);
            });
            ObjectNode dlq = json.putObject("deadLetters");
            deadLetters.stream().filter(offsets::containsKey).forEach(t -> dlq.put(t, offsets.get(t)[1] - offsets.get(t)[0]));
            out.println(Output.json(json));
        } else {
            Output.Table topics = new Output.Table("TOPIC", "OFFSETS HELD", "END OFFSET");
            offsets.forEach((topic, o) -> topics.row(topic, o[1] - o[0], o[1]));
            topics.print(out);
            List<String> missing = names.stream().filter(n -> !offsets.containsKey(n)).toList();
            if (!missing.isEmpty()) {
                out.println("missing topics: " + missing);
            }
            out.println();
            Output.Table groups = new Output.Table("GROUP", "TOPIC", "LAG");
            lag.forEach((group, perTopic) -> perTopic.forEach((topic, behind) -> groups.row(group, topic, behind)));
            groups.print(out);
            out.println();
            Output.Table dlq = new Output.Table("DEAD-LETTER TOPIC", "OFFSETS HELD");
            deadLetters.forEach(t -> dlq.row(t, offsets.containsKey(t) ? offsets.get(t)[1] - offsets.get(t)[0] : null));
            dlq.print(out);
        }
        out.flush();
        return OpsFailure.Exit.OK;
    }
}
