package org.cse.runtime.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The timer queue's keys are stored in changelogs: their format must never change (string order is time order). */
class WakeupsKeyTest {
    @Test
    void aQueueKeyIsTheDueTimeAsSixteenLowercaseHexDigitsThenTheAccount() {
        for (long due : new long[] {0, 1, 255, 1_764_720_000_000L, Long.MAX_VALUE}) {
            assertThat(Wakeups.queueKey(due, "acct-1")).isEqualTo(String.format("%016x", due) + ItemKeys.SEPARATOR + "acct-1");
        }
        assertThat(Wakeups.queueKey(255, "a")).startsWith("00000000000000ff");
    }
}
