package org.cse.runtime.delivery;

import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Headers;

/**
 * What one event did to one account's delivery items: the items written (new or changed), the items
 * removed (pruned), the records to send and where, and when the account's state machine must look
 * again (null: never, until an event arrives).
 *
 * @param <I> the item type
 */
public record Step<I>(List<I> put, List<String> removed, List<Output> outputs, Instant wake) {
    public Step {
        put = List.copyOf(put);
        removed = List.copyOf(removed);
        outputs = List.copyOf(outputs);
    }

    /** A record for one of the topology's sinks. */
    public record Output(String sink, Object key, Object value, Headers headers) {
        public static Output of(String sink, Object key, Object value) {
            return new Output(sink, key, value, null);
        }
    }
}
