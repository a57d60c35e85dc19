package org.cse.runtime;

/**
 * The small lifecycle every service has: start, health, and an orderly stop (not ready, stop
 * taking input, flush producers, close clients with a timeout). {@code close} may be called from a
 * shutdown hook and more than once.
 */
public interface Service extends AutoCloseable {
    /** Starts consuming and serving; returns once started (not necessarily ready). */
    void start();

    /** Readiness and the state of each part. */
    Health health();

    /** Ready: connected and processing. */
    default boolean isReady() {
        return health().ready();
    }

    /** The API port, or -1 for a service that serves no API. */
    int httpPort();

    /** The management port: health and metrics. */
    int managementPort();

    @Override
    void close();
}
