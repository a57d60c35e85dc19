package org.cse.runtime.delivery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Durable timers, one per account: when the account's state machine must look again (a retry is due,
 * a command has been out too long, settled items are old enough to prune). Kept in two changelogged
 * stores, so a timer survives a crash and moves with its partition: the account's wake-up time, and a
 * queue ordered by time that a punctuator reads from the front. Nothing about timers is held in the
 * heap, whatever the number of accounts.
 */
public final class Wakeups {
    private static final java.util.HexFormat HEX = java.util.HexFormat.of();
    private final KeyValueStore<String, Long> byAccount;
    private final KeyValueStore<String, String> queue;

    public Wakeups(KeyValueStore<String, Long> byAccount, KeyValueStore<String, String> queue) {
        this.byAccount = byAccount;
        this.queue = queue;
    }

    /** The account's next wake-up, replacing the one it had; null clears it. */
    public void set(String account, Instant due) {
        Long previous = byAccount.get(account);
        Long next = due == null ? null : due.toEpochMilli();
        if (previous != null && previous.equals(next)) {
            return;
        }
        if (previous != null) {
            queue.delete(queueKey(previous, account));
        }
        if (next == null) {
            if (previous != null) {
                byAccount.delete(account);
            }
            return;
        }
        byAccount.put(account, next);
        queue.put(queueKey(next, account), account);
    }

    public Instant get(String account) {
        Long due = byAccount.get(account);
        return due == null ? null : Instant.ofEpochMilli(due);
    }

    /** Up to {@code max} accounts whose wake-up is at or before {@code now}, earliest first (they stay set until replaced). */
    public List<String> due(Instant now, int max) {
        List<String> accounts = new ArrayList<>();
        // keys are fixed-width hex times: string order is time order
        try (KeyValueIterator<String, String> it = queue.range(queueKey(0, ""), queueKey(now.toEpochMilli(), "\uffff"))) {
            while (it.hasNext() && accounts.size() < max) {
                KeyValue<String, String> entry = it.next();
                accounts.add(entry.value);
            }
        }
        return accounts;
    }

    static String queueKey(long dueMillis, String account) {
        return HEX.toHexDigits(dueMillis) + ItemKeys.SEPARATOR + account; // the same 16 lowercase digits as %016x
    }
}
