package org.cse.runtime;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

/** How every service creates and closes its Kafka Streams client, so none forgets a part. */
public final class StreamsClient {
    private StreamsClient() {
    }

    /** A client whose stream threads survive a schema registry outage ({@link RetryOnRegistryOutage}). */
    public static KafkaStreams create(Topology topology, Properties props) {
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(RetryOnRegistryOutage.uncaughtHandler());
        return streams;
    }

    /** Closes and leaves the group, so the partitions move at once rather than after the session timeout. */
    public static void close(KafkaStreams streams, Duration timeout) {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout));
    }
}
