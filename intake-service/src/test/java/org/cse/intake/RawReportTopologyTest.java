package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.cse.events.Report;
import org.cse.schemas.DeadLetters;
import org.cse.schemas.Topics;
import org.cse.localstack.LocalCredentials;
import org.cse.schemas.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawReportTopologyTest {
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> raw;
    private TestOutputTopic<String, Report> reports;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    @TempDir
    java.nio.file.Path temp;

    @BeforeEach
    void setUp() throws Exception {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "intake-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, temp.resolve("state").toString());
        PublisherRegistry publishers = PublisherRegistry.load(
                LocalCredentials.create(temp).publishersFile(), Clock.systemUTC());
        driver = new TopologyTestDriver(RawReportTopology.buildTopology(registry,
                new ReportValidator(Clock.fixed(java.time.Instant.parse("2026-11-25T12:00:00Z"), java.time.ZoneOffset.UTC)),
                new IntakeMetrics(meters), () -> publishers), props);
        raw = driver.createInputTopic(Topics.rawReports("hash-matcher").name(), new StringSerializer(), new ByteArraySerializer());
        reports = driver.createOutputTopic(Topics.REPORTS.name(), Topics.REPORTS.keySerde().deserializer(),
                Topics.REPORTS.valueSerde(registry).deserializer());
        deadLetters = driver.createOutputTopic(Topics.REPORTS_RAW_DLQ.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void validSubmissionIsKeyedByTheReportedAccount() {
        raw.pipeInput("whatever-key", ReportValidatorTest.VALID.getBytes(StandardCharsets.UTF_8));

        var out = reports.readRecord();
        assertThat(out.key()).isEqualTo("acct-1");
        assertThat(out.value().getReportId()).isEqualTo("r-1");
        assertThat(out.value().getSourceService()).as("the publisher the topic belongs to").isEqualTo("hash-matcher");
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void invalidSubmissionGoesToTheDeadLetterTopicUnchangedWithTheReason() {
        byte[] bad = "{\"accountId\": \"a\", \"reporter\": {\"kind\": \"ROBOT\"}, \"content\": [{\"contentId\": \"p\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        raw.pipeInput("acct-a", bad);

        TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertThat(dead.value()).isEqualTo(bad);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("acct-a");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).isEqualTo("INVALID_FIELD");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.DETAIL)).startsWith("reporter.kind:");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.rawReports("hash-matcher").name());
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(reports.isEmpty()).isTrue();
        assertThat(meters.counter("cse_intake_reports_rejected", "channel", "kafka", "reason", "INVALID_FIELD").count()).isEqualTo(1.0);
    }

    @Test
    void garbageAndEmptyRecordsAreDeadLetteredNotDropped() {
        raw.pipeInput("k1", new byte[] {(byte) 0xff, 0x00, 0x13});
        raw.pipeInput("k2", (byte[]) null);

        assertThat(deadLetters.readRecordsToList()).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("MALFORMED_JSON", "EMPTY_RECORD");
    }
}
