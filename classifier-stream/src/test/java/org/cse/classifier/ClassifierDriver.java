package org.cse.classifier;

import org.cse.classifier.state.AccountState;

import static org.cse.classifier.Fixtures.T0;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.cse.events.AccountEvent;
import org.cse.events.Appeal;
import org.cse.events.BannedIdentifier;
import org.cse.events.Decision;
import org.cse.events.Report;
import org.cse.events.ReviewRequest;
import org.cse.events.Verdict;
import org.cse.localstack.TempDirs;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.InMemorySchemaRegistry;

/** The classifier topology in a TopologyTestDriver, with the live (bundled) policy, every input and output topic. */
final class ClassifierDriver implements AutoCloseable {
    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final TopologyTestDriver driver;
    private final java.nio.file.Path stateDir;
    final TestInputTopic<String, Report> reports;
    final TestInputTopic<String, Verdict> verdicts;
    final TestInputTopic<String, Appeal> appeals;
    final TestInputTopic<String, AccountEvent> accountEvents;
    final TestInputTopic<String, BannedIdentifier> bans;
    final TestOutputTopic<String, Decision> decisions;
    final TestOutputTopic<String, Decision> shadowDecisions;
    final TestOutputTopic<String, ReviewRequest> reviews;
    final TestOutputTopic<byte[], byte[]> deadLetters;

    /** @param shadow a candidate policy to run in shadow, or null */
    ClassifierDriver(PolicyDefinition shadow) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-test");
        try {
            stateDir = Files.createTempDirectory("classifier-ttd");
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(ClassifierTopology.buildTopology(registry, new Policy(PolicyDefinition.bundled()),
                shadow == null ? null : new Policy(shadow), meters), props, T0.plus(java.time.Duration.ofHours(2)));
        reports = input(Topics.REPORTS);
        verdicts = input(Topics.VERDICTS);
        appeals = input(Topics.APPEALS);
        accountEvents = input(Topics.ACCOUNT_EVENTS);
        bans = input(Topics.BANNED_IDENTIFIERS);
        decisions = output(Topics.DECISIONS);
        shadowDecisions = output(Topics.SHADOW_DECISIONS);
        reviews = output(Topics.REVIEW_REQUESTS);
        deadLetters = driver.createOutputTopic(Topics.CLASSIFIER_DLQ.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** An account's history as the lookup API reads it (all its entries), or null. */
    AccountState history(String account) {
        return SplitHistory.readOnly(driver::getKeyValueStore, new AccountStateSerde(registry)).full(account);
    }

    /** The sizes of an account's entries in one store, by key. */
    java.util.Map<String, Integer> entrySizes(String store, String account) {
        java.util.Map<String, Integer> sizes = new java.util.TreeMap<>();
        try (var all = driver.<String, byte[]>getKeyValueStore(store).all()) {
            all.forEachRemaining(entry -> {
                if (entry.key.equals(account) || entry.key.startsWith(account + "/")) {
                    sizes.put(entry.key, entry.value.length);
                }
            });
        }
        return sizes;
    }

    private <V> TestInputTopic<String, V> input(Topic<String, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde(registry).serializer());
    }

    private <V> TestOutputTopic<String, V> output(Topic<String, V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde(registry).deserializer());
    }

    @Override
    public void close() {
        driver.close();
        TempDirs.delete(stateDir);
    }
}
