package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;
import static org.cse.classifier.Fixtures.avroBytes;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.classifier.AccountStateSerde.PartsReusingWriter;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.AccountStatus;
import org.cse.classifier.state.Strike;
import org.cse.events.Category;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.Retraction;
import org.cse.schemas.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.Test;

/**
 * The history's serializer writes the bytes of strikes and identifiers it encoded before instead of
 * encoding them again: what it writes must stay exactly what Avro's own encoder writes, whatever was
 * changed since and however many parts went through it.
 */
class AccountStateSerdeTest {
    private final Serializer<AccountState> serializer = new AccountStateSerde(new InMemorySchemaRegistry()).serializer();

    @Test
    void aSummaryWithTheStrikesOfTheOneBeforeReusesTheirBytesAndIsWrittenAsAvroWritesIt() {
        AccountState before = summary("acct-1", strikes("d", 50));
        serializer.serialize("t", before);
        long reused = PartsReusingWriter.parts().reused();
        List<Strike> more = new ArrayList<>(before.getStrikes());
        more.add(strike("d-new"));
        // the builder deep-copies what it is not given: hand it the very identifiers, as the policy shares them
        AccountState after = AccountState.newBuilder(before).setStrikes(more).setIdentifiers(before.getIdentifiers())
                .setRecentDecisionIds(List.of("d-new")).build();

        assertThat(serializer.serialize("t", after)).isEqualTo(avroBytes(after));
        assertThat(PartsReusingWriter.parts().reused() - reused).as("strikes and identifiers written from earlier bytes")
                .isEqualTo(50 + 2);
    }

    @Test
    void aPartSetAnewOrWithAListChangedInPlaceIsEncodedAnew() {
        AccountState state = summary("acct-2", strikes("e", 3));
        byte[] first = serializer.serialize("t", state);
        state.getStrikes().get(0).getReferralIds().add("e-0/INHOPE-NL"); // a list changed in place
        state.getStrikes().get(1).setAt(T0.plusSeconds(3600));
        state.getIdentifiers().get(0).setHash("hash-changed");

        byte[] second = serializer.serialize("t", state);

        assertThat(second).isEqualTo(avroBytes(state)).isNotEqualTo(first);
    }

    @Test
    void aWholeHistoryWithIncidentsAndTimestampsInUnionsIsWrittenAsAvroWritesIt() {
        Report report = Report.newBuilder(Fixtures.hashMatch("r-1", "acct-3", "media-1"))
                .setContent(List.of(ContentRef.newBuilder().setContentId("media-1").setKind(ContentKind.MEDIA)
                        .setUploadedAt(T0.minusSeconds(600)).build())).build();
        AccountState state = new Policy(PolicyDefinition.bundled()).onReport(null, report, T0).state();
        assertThat(state.getIncidents().get(0).getContent().get(0).getUploadedAt()).isEqualTo(T0.minusSeconds(600));

        assertThat(serializer.serialize("t", state)).isEqualTo(avroBytes(state));
    }

    @Test
    void theBytesKeptPerThreadStayWithinTheirBound() {
        long written = 0;
        for (int round = 0; round < 60; round++) {
            // decision ids as long as real ones: about 200 KB of strikes a round, three times the bound in all
            AccountState state = summary("acct-" + round, strikes("dec-" + round + "-4f1c9a7e-52d3-4b8e-9c1a-", 1000));
            byte[] bytes = serializer.serialize("t", state);
            assertThat(bytes).isEqualTo(avroBytes(state));
            written += bytes.length;
            assertThat(PartsReusingWriter.parts().heldBytes()).isPositive().isLessThanOrEqualTo(PartsReusingWriter.MAX_CACHED_BYTES);
        }
        assertThat(written).isGreaterThan(3L * PartsReusingWriter.MAX_CACHED_BYTES);
        assertThat(PartsReusingWriter.parts().count()).isLessThan(60 * 1000);
    }

    private static AccountState summary(String account, List<Strike> strikes) {
        return AccountState.newBuilder().setAccountId(account).setStatus(AccountStatus.SUSPENDED).setStrikes(strikes)
                .setIdentifiers(new ArrayList<>(List.of(new Identifier(IdentifierType.EMAIL, "hash-" + account),
                        new Identifier(IdentifierType.PHONE, "phone-" + account))))
                .setRecentDecisionIds(strikes.stream().map(Strike::getDecisionId).toList()).setEarlierStrikes(2).build();
    }

    private static List<Strike> strikes(String prefix, int count) {
        List<Strike> strikes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            strikes.add(strike(prefix + i));
        }
        return strikes;
    }

    private static Strike strike(String decisionId) {
        return new Strike(decisionId, Category.VISUAL_DEPICTION, T0, new ArrayList<>(List.of(decisionId + "/NCMEC", decisionId + "/INHOPE-DE")),
                List.of(new Retraction(decisionId + "/NCMEC", ReferralTarget.NCMEC, null),
                        new Retraction(decisionId + "/INHOPE-DE", ReferralTarget.INHOPE, "DE")));
    }
}
