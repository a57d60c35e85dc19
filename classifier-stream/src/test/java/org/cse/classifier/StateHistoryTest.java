package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.AccountStatus;
import org.cse.classifier.state.IncidentState;
import org.cse.events.GeneratedMedium;
import org.cse.schemas.registry.InMemorySchemaRegistry;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.junit.jupiter.api.Test;

/**
 * The classifier's private history evolves like the shared schemas: today's reader reads every
 * released version, and entries written by an earlier release, in either wire format it used, decode
 * with the fields added since at their defaults.
 */
class StateHistoryTest {

    @Test
    void todaysSchemaReadsEveryReleasedOneAndTheHistoryListsEveryFile() throws IOException {
        for (Schema earlier : AccountStateSerde.history()) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(AccountState.getClassSchema(), earlier);
            assertThat(result.getType()).as(result.getDescription()).isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/state-history"))) {
            assertThat(files.map(file -> file.getFileName().toString()).sorted().toList()).isEqualTo(AccountStateSerde.HISTORY);
        }
    }

    @Test
    void anEntryOfTheSecondReleaseInSingleObjectEncodingDecodesWithTheNewFieldsAtTheirDefaults() throws IOException {
        Schema v2 = AccountStateSerde.history().get(1);
        byte[] bytes = toBytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(entry(v2)));

        AccountState state = new AccountStateSerde(new InMemorySchemaRegistry()).deserializer().deserialize("changelog", bytes);

        assertDefaulted(state);
        assertThat(state.getStrikes().get(0).getReferralIds()).containsExactly("dec-1/NCMEC");
    }

    @Test
    void anEntryOfTheFirstReleaseInTheRegistrysWireFormatDecodesThroughTheRegistry() throws IOException {
        Schema v1 = AccountStateSerde.history().get(0);
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(RegistryAvroSerde.MAGIC_BYTE);
        out.write(ByteBuffer.allocate(4).putInt(registry.register("changelog-value", v1)).array());
        BinaryEncoder body = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(v1).write(entry(v1), body);
        body.flush();

        AccountState state = new AccountStateSerde(registry).deserializer().deserialize("changelog", out.toByteArray());

        assertDefaulted(state);
    }

    @Test
    void todaysEntriesRoundTrip() {
        AccountStateSerde serde = new AccountStateSerde(new InMemorySchemaRegistry());
        AccountState state = AccountState.newBuilder().setAccountId("acct-now").setStatus(AccountStatus.LOCKED).build();

        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", state))).isEqualTo(state);
    }

    private static void assertDefaulted(AccountState state) {
        assertThat(state.getAccountId()).isEqualTo("acct-old");
        assertThat(state.getStatus()).isEqualTo(AccountStatus.SUSPENDED);
        assertThat(state.getStrikes()).singleElement().satisfies(strike -> {
            assertThat(strike.getDecisionId()).isEqualTo("dec-1");
            assertThat(strike.getRetractions()).isEmpty();
        });
        assertThat(state.getIncidents()).singleElement().satisfies(incident -> {
            assertThat(incident.getState()).isEqualTo(IncidentState.DECIDED);
            assertThat(incident.getGeneratedMedium()).isEqualTo(GeneratedMedium.NOT_STATED);
        });
    }

    /** An account with one strike and one decided incident, in an earlier schema. */
    private static GenericRecord entry(Schema schema) {
        Schema strike = schema.getField("strikes").schema().getElementType();
        Schema incident = schema.getField("incidents").schema().getElementType();
        GenericRecordBuilder first = new GenericRecordBuilder(strike).set("decisionId", "dec-1").set("at", 1_700_000_000_000L);
        if (strike.getField("referralIds") != null) {
            first.set("referralIds", List.of("dec-1/NCMEC"));
        }
        return new GenericRecordBuilder(schema)
                .set("accountId", "acct-old")
                .set("status", new GenericData.EnumSymbol(schema.getField("status").schema(), "SUSPENDED"))
                .set("strikes", List.of(first.build()))
                .set("incidents", List.of(new GenericRecordBuilder(incident).set("incidentId", "inc-1").set("contentKeys", List.of("post-1"))
                        .set("reportIds", List.of("r-1"))
                        .set("state", new GenericData.EnumSymbol(incident.getField("state").schema(), "DECIDED"))
                        .set("decisionId", "dec-1").set("firstReportedAt", 1_700_000_000_000L).set("lastReportedAt", 1_700_000_000_000L)
                        .build()))
                .build();
    }

    private static byte[] toBytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
