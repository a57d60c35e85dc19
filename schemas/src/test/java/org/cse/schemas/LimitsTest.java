package org.cse.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LimitsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = {".", "..", "", "a/b", "a b", "-a", "a\u0000", "\u00e1", "a?"})
    void idsAreRefusedOutsideTheirCharacterSet(String id) {
        assertThat(Limits.isId(id)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"acct-1", "a", "user:42@platform", "A_B.c-d", "8f14e45fceea167a5a36dedd4bea2543"})
    void idsWithinTheSetAreTaken(String id) {
        assertThat(Limits.isId(id)).isTrue();
    }

    @Test
    void instantsMustBeStrictAndWithinTheWindow() {
        assertThat(Limits.parseInstant("2026-11-25T11:00:00Z", NOW)).isEqualTo(Instant.parse("2026-11-25T11:00:00Z"));
        assertThat(Limits.parseInstant("2026-11-25T13:00:00+02:00", NOW)).isEqualTo(Instant.parse("2026-11-25T11:00:00Z"));
        assertThat(Limits.parseInstant("2026-11-24T24:00:00Z", NOW)).isNull();
        assertThat(Limits.parseInstant("0000-01-01T00:00:00Z", NOW)).isNull();
        assertThat(Limits.parseInstant("-999999999-01-01T00:00:00Z", NOW)).isNull();
        assertThat(Limits.parseInstant("2026-02-30T10:00:00Z", NOW)).isNull();
        assertThat(Limits.parseInstant("2026-11-25T12:10:00Z", NOW)).as("ten minutes ahead").isNull();
    }

    @Test
    void hashesComeFromAClosedSetInTheirHexForm() {
        assertThat(Limits.hashProblem("MD5", "5d41402abc4b2a76b9719d911017c592")).isNull();
        assertThat(Limits.hashProblem("MD5", "5D41402ABC4B2A76B9719D911017C592")).isNotNull();
        assertThat(Limits.hashProblem("SHA256", "ab")).isNotNull();
        assertThat(Limits.hashProblem("<x>", "ab")).contains("algorithm");
    }

    @Test
    void addressesAreLiteralsNeverNames() {
        assertThat(Limits.isIpLiteral("192.0.2.10")).isTrue();
        assertThat(Limits.isIpLiteral("2001:db8::1")).isTrue();
        assertThat(Limits.isIpLiteral("300.1.1.1")).isFalse();
        assertThat(Limits.isIpLiteral("localhost")).isFalse();
        assertThat(Limits.isIpLiteral("fe80::1%eth0")).isFalse();
    }

    @Test
    void textProblemsNameTheKindOfCharacter() {
        assertThat(Limits.textProblem("line\nbreak", true)).isNull();
        assertThat(Limits.textProblem("line\nbreak", false)).contains("control character");
        assertThat(Limits.textProblem("x\ud800", true)).contains("surrogate");
        assertThat(Limits.textProblem("x\ud83d\ude00", false)).isNull();
        assertThat(Limits.textProblem("x\ufffe", true)).contains("noncharacter");
        assertThat(Limits.isCountry("NL")).isTrue();
        assertThat(Limits.isCountry("XX")).isFalse();
    }
}
