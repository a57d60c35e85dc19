package org.cse.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

/**
 * Schemas evolve backward-compatibly: the current generated classes must read every committed
 * earlier version (src/main/resources/schema-history/Name.vN.avsc, shipped in the jar so that the
 * services' tests can write records as earlier producers did). When a schema changes, add its
 * released version to the history first.
 */
class SchemaEvolutionTest {

    @Test
    void everySchemaReadsAllOfItsCommittedEarlierVersions() throws Exception {
        List<Path> history = historyFiles();
        assertThat(history).isNotEmpty();
        for (Path file : history) {
            String name = file.getFileName().toString().replaceAll("\\.v\\d+\\.avsc$", "");
            Schema current = SpecificData.get().getSchema(Class.forName("org.cse.events." + name));
            Schema earlier = new Schema.Parser().parse(Files.readString(file));

            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, earlier);
            assertThat(result.getType()).as(file.getFileName() + ": " + result.getDescription())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void everyTopicSchemaHasAHistoryEntry() throws Exception {
        Set<String> withHistory = new HashSet<>();
        historyFiles().forEach(file -> withHistory.add(file.getFileName().toString().replaceAll("\\.v\\d+\\.avsc$", "")));
        for (Topic<?, ?> topic : Topics.ALL) {
            topic.valueSchema().ifPresent(schema -> assertThat(withHistory).as(topic.name()).contains(schema.getName()));
        }
    }

    @Test
    void everyRecordFieldAndEnumIsDocumented() {
        List<String> undocumented = new ArrayList<>();
        for (Topic<?, ?> topic : Topics.ALL) {
            topic.valueSchema().ifPresent(schema -> collectUndocumented(schema, new HashSet<>(), undocumented));
        }
        assertThat(undocumented).isEmpty();
    }

    private static void collectUndocumented(Schema schema, Set<String> seen, List<String> undocumented) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                if (schema.getDoc() == null || schema.getDoc().isBlank()) {
                    undocumented.add(schema.getFullName());
                }
                for (Schema.Field field : schema.getFields()) {
                    if (field.doc() == null || field.doc().isBlank()) {
                        undocumented.add(schema.getFullName() + "." + field.name());
                    }
                    collectUndocumented(field.schema(), seen, undocumented);
                }
            }
            case ENUM -> {
                if (seen.add(schema.getFullName()) && (schema.getDoc() == null || schema.getDoc().isBlank())) {
                    undocumented.add(schema.getFullName());
                }
            }
            case UNION -> schema.getTypes().forEach(type -> collectUndocumented(type, seen, undocumented));
            case ARRAY -> collectUndocumented(schema.getElementType(), seen, undocumented);
            case MAP -> collectUndocumented(schema.getValueType(), seen, undocumented);
            default -> {
            }
        }
    }

    private static List<Path> historyFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(SchemaEvolutionTest.class.getResource("/schema-history").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.toString().endsWith(".avsc")).sorted().toList();
        }
    }

}
