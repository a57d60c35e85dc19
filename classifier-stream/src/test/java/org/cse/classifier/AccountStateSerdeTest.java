package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cse.classifier.Fixtures.T0;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serializer;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.AccountStatus;
import org.cse.classifier.state.Strike;
import org.cse.events.Category;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.ReferralTarget;
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
    void aSummaryWithTheStrikesOfTheOneBeforeIsWrittenAsAvroWritesIt() throws IOException {
        AccountState before = summary("acct-1", strikes("d", 50));
        serializer.serialize("t", before);
        List<Strike> more = new ArrayList<>(before.getStrikes());
        more.add(strike("d-new"));
        AccountState after = AccountState.newBuilder(before).setStrikes(more).setRecentDecisionIds(List.of("d-new")).build();

        assertThat(serializer.serialize("t", after)).isEqualTo(avro(after));
    }

    @Test
    void aStrikeOrIdentifierSetAnewSinceItWasWrittenIsEncodedAnew() throws IOException {
        AccountState state = summary("acct-2", strikes("e", 3));
        byte[] first = serializer.serialize("t", state);
        Strike strike = state.getStrikes().get(1);
        strike.setAt(T0.plusSeconds(3600));
        strike.setReferralIds(List.of("e-1/NCMEC", "e-1/INHOPE-NL"));
        state.getIdentifiers().get(0).setHash("hash-changed");

        byte[] second = serializer.serialize("t", state);

        assertThat(second).isEqualTo(avro(state)).isNotEqualTo(first);
    }

    @Test
    void theBytesKeptPerThreadStayWithinTheirBound() throws IOException {
        long written = 0;
        for (int round = 0; round < 60; round++) {
            // decision ids as long as real ones: about 200 KB of strikes a round, three times the bound in all
            AccountState state = summary("acct-" + round, strikes("dec-" + round + "-4f1c9a7e-52d3-4b8e-9c1a-", 1000));
            byte[] bytes = serializer.serialize("t", state);
            assertThat(bytes).isEqualTo(avro(state));
            written += bytes.length;
            assertThat(AccountStateSerde.PartsReusingWriter.cachedBytes()).isPositive()
                    .isLessThanOrEqualTo(AccountStateSerde.PartsReusingWriter.MAX_CACHED_BYTES);
        }
        assertThat(written).isGreaterThan(3L * AccountStateSerde.PartsReusingWriter.MAX_CACHED_BYTES);
    }

    private static byte[] avro(AccountState state) throws IOException {
        ByteBuffer buffer = AccountState.getEncoder().encode(state);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
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
        return new Strike(decisionId, Category.VISUAL_DEPICTION, T0, List.of(decisionId + "/NCMEC", decisionId + "/INHOPE-DE"),
                List.of(new Retraction(decisionId + "/NCMEC", ReferralTarget.NCMEC, null),
                        new Retraction(decisionId + "/INHOPE-DE", ReferralTarget.INHOPE, "DE")));
    }
}
