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

    @Test
    void everyCseOpsCommandTheRunbookAndReadmeNameExists() throws IOException {
        Pattern command = Pattern.compile("cse-ops ((?:[a-z][a-z-]*)(?: (?:list|show|replay)\\b)?)");
        java.util.Set<String> named = new java.util.TreeSet<>();
        for (String file : List.of("docs/runbook.md", "README.md")) {
            Matcher m = command.matcher(Files.readString(ROOT.resolve(file)));
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        assertThat(named).contains("account", "dlq replay", "replay-parked", "referrals", "topics", "tail");
        for (String name : named) {
            java.io.StringWriter out = new java.io.StringWriter();
            String[] args = (name + " --help").split(" ");
            int exit = org.cse.ops.OpsCli.run(new org.cse.runtime.Env(Map.of()), java.time.Clock.systemUTC(), args,
                    new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()));
            assertThat(exit).as("cse-ops " + name + " exists").isZero();
            assertThat(out.toString()).as("cse-ops " + name).contains("Usage: cse-ops " + name);
        }
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
