package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.GeneratedMedium;
import org.cse.events.Intent;
import org.cse.events.Referral;
import org.cse.events.Report;
import org.cse.events.Verdict;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Records written by producers that know only the first released schemas (schemas' schema-history
 * v1: no imminent danger or medium on a verdict or report) still decide as the same records written
 * today with nothing stated: the same rule, actions and referrals, no escalation but the category's
 * own and no medium annotation.
 */
class EarlierRecordsTest {
    private ClassifierDriver topology;
    private TestInputTopic<String, byte[]> rawReports;
    private TestInputTopic<String, byte[]> rawVerdicts;

    @BeforeEach
    void start() {
        topology = new ClassifierDriver(null);
        rawReports = topology.driver.createInputTopic(Topics.REPORTS.name(), new StringSerializer(), new ByteArraySerializer());
        rawVerdicts = topology.driver.createInputTopic(Topics.VERDICTS.name(), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        topology.close();
    }

    @ParameterizedTest
    @EnumSource(Category.class)
    void aVerdictWrittenWithTheFirstSchemaDecidesAsTheSameVerdictWithNothingStated(Category category) {
        String earlier = "acct-v1-" + category;
        String today = "acct-v2-" + category;
        for (String account : List.of(earlier, today)) {
            Report report = Fixtures.userReport("r-" + account, account, "post-1", category);
            Verdict verdict = Fixtures.violation("v-" + account, account, "r-" + account, category, Intent.MALICIOUS);
            if (account.equals(earlier)) {
                rawReports.pipeInput(account, writtenBy("Report.v1.avsc", Topics.REPORTS.name(), report));
                rawVerdicts.pipeInput(account, writtenBy("Verdict.v1.avsc", Topics.VERDICTS.name(), verdict));
            } else {
                topology.reports.pipeInput(account, report);
                topology.verdicts.pipeInput(account, verdict);
            }
        }

        List<Decision> decisions = topology.decisions.readValuesToList();
        assertThat(topology.deadLetters.isEmpty()).isTrue();
        Decision fromEarlier = decisions.stream().filter(d -> d.getAccountId().equals(earlier)).findFirst().orElseThrow();
        Decision fromToday = decisions.stream().filter(d -> d.getAccountId().equals(today)).findFirst().orElseThrow();
        assertThat(fromEarlier.getRuleId()).isEqualTo(fromToday.getRuleId());
        assertThat(fromEarlier.getCategory()).isEqualTo(category);
        assertThat(fromEarlier.getActions()).extracting(a -> a.getType()).isEqualTo(fromToday.getActions().stream().map(a -> a.getType()).toList());
        assertThat(fromEarlier.getReferrals()).extracting(Referral::getTarget, Referral::getIncidentType, Referral::getReportAnnotations,
                Referral::getFileAnnotations, Referral::getEscalateToHighPriority)
                .isEqualTo(fromToday.getReferrals().stream().map(r -> org.assertj.core.groups.Tuple.tuple(r.getTarget(), r.getIncidentType(),
                        r.getReportAnnotations(), r.getFileAnnotations(), r.getEscalateToHighPriority())).toList());
        assertThat(fromEarlier.getImminentDanger()).isFalse();
        assertThat(fromEarlier.getGeneratedMedium()).isEqualTo(GeneratedMedium.NOT_STATED);
        for (Referral referral : fromEarlier.getReferrals()) {
            assertThat(referral.getFileAnnotations()).as("no medium stated, no medium annotation").isEmpty();
            assertThat(referral.getEscalateToHighPriority() == null)
                    .isEqualTo(category != Category.SEXTORTION && category != Category.TRAFFICKING);
        }
    }

    /** The record as a producer with the earlier schema writes it: only that schema's fields, under that schema's id. */
    private byte[] writtenBy(String historyFile, String topic, SpecificRecord record) {
        Schema earlier = historySchema(historyFile);
        try {
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(current, null);
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
            GenericRecord asEarlier = new GenericDatumReader<GenericRecord>(record.getSchema(), earlier)
                    .read(null, DecoderFactory.get().binaryDecoder(current.toByteArray(), null));
            assertThat(earlier.getFields()).as("the earlier schema lacks a field of today's").hasSizeLessThan(record.getSchema().getFields().size());

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(RegistryAvroSerde.MAGIC_BYTE);
            out.write(ByteBuffer.allocate(4).putInt(topology.registry.register(RegistryAvroSerde.subject(topic, false), earlier)).array());
            BinaryEncoder body = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(earlier).write(asEarlier, body);
            body.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Schema historySchema(String file) {
        try (InputStream in = EarlierRecordsTest.class.getResourceAsStream("/schema-history/" + file)) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
