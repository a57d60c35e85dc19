package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Alerts, the dashboard and the README must name metrics the services really register: an alert on a
 * misspelt metric never fires, and nobody notices until the night it should have.
 */
class MetricNamesTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern REGISTERED = Pattern.compile("(Counter\\.builder|Timer\\.builder|Gauge\\.builder|\\bcounter)\\(\"(cse_[a-z_]+)\"");
    private static final Pattern NAMED = Pattern.compile("\\b(cse_[a-z_]+?)(_total|_seconds_bucket|_seconds_count|_seconds_sum|_seconds_max|_seconds)?\\b");

    @Test
    void everyMetricInAlertsDashboardAndReadmeIsRegisteredBySomeService() throws IOException {
        Set<String> registered = registered();
        assertThat(registered).as("metrics registered in */src/main").isNotEmpty();

        for (Path doc : List.of(ROOT.resolve("deploy/prometheus/alerts.yml"), ROOT.resolve("deploy/grafana/cse-pipeline.json"),
                ROOT.resolve("README.md"))) {
            assertThat(named(Files.readString(doc))).as("cse_* metrics named in " + doc.normalize()).isSubsetOf(registered);
        }
    }

    @Test
    void theReadmeListsEveryRegisteredMetric() throws IOException {
        assertThat(named(Files.readString(ROOT.resolve("README.md")))).containsAll(registered());
    }

    private static Set<String> registered() throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")).forEach(p -> {
                try {
                    Matcher m = REGISTERED.matcher(Files.readString(p));
                    while (m.find()) {
                        names.add(m.group(2));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return names;
    }

    private static Set<String> named(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = NAMED.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
