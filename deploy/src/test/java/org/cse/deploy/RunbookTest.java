package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every alert rule has its section in docs/runbook.md, saying what it means, what to check first and what to do. */
class RunbookTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void everyAlertRuleHasARunbookSectionAndEverySectionAnAlert() throws IOException {
        List<String> alerts = new ArrayList<>();
        Matcher rule = Pattern.compile("(?m)^\\s*- alert: (\\S+)\\s*$").matcher(Files.readString(ROOT.resolve("deploy/prometheus/alerts.yml")));
        while (rule.find()) {
            alerts.add(rule.group(1));
        }
        Map<String, String> sections = alertSections(Files.readString(ROOT.resolve("docs/runbook.md")));

        assertThat(alerts).hasSizeGreaterThan(10);
        assertThat(sections.keySet()).containsExactlyInAnyOrderElementsOf(alerts);
        sections.forEach((alert, text) -> assertThat(text).as(alert).contains("**Means**", "**Check first**", "**Do**"));
    }

    /** The {@code ### Name} sections under {@code ## Alerts}, with their text. */
    private static Map<String, String> alertSections(String runbook) {
        int start = runbook.indexOf("\n## Alerts\n");
        assertThat(start).as("a '## Alerts' chapter").isNotNegative();
        int end = runbook.indexOf("\n## ", start + 1);
        String chapter = end < 0 ? runbook.substring(start) : runbook.substring(start, end);
        Map<String, String> sections = new LinkedHashMap<>();
        String[] parts = chapter.split("\n### ");
        for (int i = 1; i < parts.length; i++) {
            int newline = parts[i].indexOf('\n');
            sections.put(parts[i].substring(0, newline).trim(), parts[i].substring(newline));
        }
        return sections;
    }
}
