package org.cse.runtime;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How every service creates and closes its Kafka Streams client, so none forgets a part. */
public final class StreamsClient {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsClient.class);

    private StreamsClient() {
    }

    /** A client whose stream threads survive a schema registry outage ({@link RetryOnRegistryOutage}). */
    public static KafkaStreams create(Topology topology, Properties props) {
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(RetryOnRegistryOutage.uncaughtHandler());
        return streams;
    }

    /**
     * Closes and leaves the group, so the partitions move at once rather than after the session timeout.
     * Returns false, and says so in the log, when its threads had not stopped within {@code timeout}.
     */
    public static boolean close(KafkaStreams streams, Duration timeout) {
        boolean stopped = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(timeout));
        if (!stopped) {
            LOG.warn("Kafka Streams client did not stop within {} (state {}): its threads may still be running", timeout,
                    streams.state());
        }
        return stopped;
    }
}
