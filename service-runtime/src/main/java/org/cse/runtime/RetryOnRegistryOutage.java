package org.cse.runtime;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.cse.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' deserialization handler: a record that cannot be read goes to the dead-letter topic,
 * except when the schema registry is unreachable. Then the record is not at fault, and dead-lettering
 * it would take a valid report out of the pipeline; instead the stream thread fails and is replaced
 * ({@link #uncaughtHandler()}), and the record is read again from the last committed offset.
 */
public final class RetryOnRegistryOutage extends LogAndContinueExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RetryOnRegistryOutage.class);

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (SchemaRegistryException.isOutage(exception)) {
            LOG.warn("schema registry unavailable while reading {}-{}@{}: the record will be read again", context.topic(),
                    context.partition(), context.offset());
            return Response.fail();
        }
        return super.handleError(context, record, exception);
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
