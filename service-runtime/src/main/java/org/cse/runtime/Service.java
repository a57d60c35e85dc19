package org.cse.runtime;

/**
 * The small lifecycle every service has: start, readiness, and an orderly stop (not ready, stop
 * taking input, flush producers, close clients with a timeout). {@code close} may be called from a
 * shutdown hook and more than once.
 */
public interface Service extends AutoCloseable {
    /** Starts consuming and serving; returns once started (not necessarily ready). */
    void start();

    /** Ready: connected and processing. */
    boolean isReady();

    /** The HTTP port of the service's health and API endpoints. */
    int httpPort();

    @Override
    void close();
}
