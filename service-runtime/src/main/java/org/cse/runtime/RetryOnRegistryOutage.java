package org.cse.runtime;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a stream thread that stopped: a schema registry outage is no record's fault, so
 * the thread is replaced and reads the record again from the last commit ({@link RecordErrors} fails
 * the task on an outage instead of dead-lettering a good record). Record-level problems never reach
 * here: {@link RecordErrors} dead-letters them.
 */
public final class RetryOnRegistryOutage {
    private static final Logger LOG = LoggerFactory.getLogger(RetryOnRegistryOutage.class);

    private RetryOnRegistryOutage() {
    }

    /** Replaces a stream thread that stopped on a registry outage; any other fatal error stops the client. */
    public static StreamsUncaughtExceptionHandler uncaughtHandler() {
        return exception -> {
            if (SchemaRegistryException.isOutage(exception)) {
                pause();
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            LOG.error("stream thread stopped by an unexpected error; stopping the client", exception);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        };
    }

    /** The registry client has already retried; wait a little more so a long outage does not spin. */
    private static void pause() {
        try {
            Thread.sleep(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
