package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cse.classifier.PolicyDefinition;
import org.cse.events.ActionType;
import org.cse.events.GeneratedMedium;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.Limits;
import org.cse.schemas.RuleId;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Test;

/** The README's tables must say what the code says: operators read the README at 3 a.m. */
class ReadmeTest {
    @Test
    void topicTableMatchesTheCatalogue() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));

        List<Topic<?, ?>> topics = new java.util.ArrayList<>(Topics.ALL);
        topics.add(Topics.rawReports("publisher"));
        for (Topic<?, ?> topic : topics) {
            String name = topic.name().replace(Topics.RAW_REPORTS_PREFIX + "publisher", Topics.RAW_REPORTS_PREFIX + "<publisher>");
            String row = readme.lines().filter(line -> line.startsWith("| `" + name + "` |")).findFirst()
                    .orElseThrow(() -> new AssertionError("README has no row for topic " + topic.name()));
            String[] cells = row.split("\\|");
            assertThat(cells[3].trim()).as(topic.name() + " partitions").isEqualTo(Integer.toString(topic.partitions()));
            assertThat(cells[4].trim()).as(topic.name() + " cleanup").isEqualTo(topic.cleanup().name().toLowerCase());
            if (topic.cleanup() == Topic.Cleanup.DELETE) {
                assertThat(cells[5].trim()).as(topic.name() + " retention").isEqualTo(topic.retention().toDays() + " days");
            }
        }
        assertThat(readme.lines().filter(line -> line.startsWith("| `cse.")).count()).isEqualTo(topics.size());
    }

    @Test
    void limitsTableMatchesTheCode() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String table = readme.substring(readme.indexOf("### Limits"), readme.indexOf("### Ports"));

        assertThat(table).contains("| ids: `accountId`, `reportId`, `reporter.id`, `reporter.matchList`, `sourceService` | 1–"
                + Limits.MAX_ID_CHARS + " characters")
                .contains("| `content[].contentId` | 1–" + Limits.MAX_CONTENT_ID_CHARS + " characters")
                .contains("| `content` items | " + Limits.MAX_CONTENT_ITEMS + " |")
                .contains("| `content[].hashes` per item | " + Limits.MAX_HASHES_PER_ITEM + " |")
                .contains("| `thirdPartyUrls` | " + Limits.MAX_THIRD_PARTY_URLS + " |")
                .contains("| `content[].url`, `thirdPartyUrls[].url` | " + Limits.MAX_URL_CHARS + " characters")
                .contains("| `content[].fileName` | " + Limits.MAX_FILE_NAME_CHARS + " characters")
                .contains("| `description` | " + Limits.MAX_DESCRIPTION_CHARS + " characters")
                .contains(Limits.MAX_HOSTING_ISP_CHARS + " characters |");
        Limits.HASH_HEX_LENGTHS.forEach((algorithm, length) -> assertThat(table).contains("`" + algorithm + "` (" + length));
    }

    @Test
    void theVocabularyIsTheOneInSchemas() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String decisions = readme.substring(readme.indexOf("## Decisions"), readme.indexOf("## Topics"));
        String deadLetters = readme.substring(readme.indexOf("**Dead letters**"), readme.indexOf("## HTTP API"));

        List<String> ruleRows = decisions.lines().filter(line -> line.startsWith("| `")).map(line -> line.split("`")[1]).toList();
        assertThat(ruleRows).containsExactlyInAnyOrderElementsOf(Arrays.stream(RuleId.values()).map(RuleId::id).toList());
        for (ActionType type : ActionType.values()) {
            assertThat(decisions).contains("`" + type.name() + "`");
        }
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            assertThat(deadLetters).contains("`" + reason.name() + "`");
        }
        assertThat(decisions).contains("`" + PolicyDefinition.bundled().version() + "`");
        for (GeneratedMedium medium : GeneratedMedium.values()) {
            assertThat(decisions).contains("`" + medium.name() + "`");
        }
    }

    @Test
    void ciRunsTheReadmeTestCommand() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String ci = Files.readString(Path.of("..", ".ci", "run"));

        assertThat(readme).contains("./mvnw -B verify");
        assertThat(ci).contains("./mvnw -B verify");
    }
}
