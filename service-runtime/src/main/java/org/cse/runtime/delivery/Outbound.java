package org.cse.runtime.delivery;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Calls to the outside world: one non-blocking HTTP client per service (Jetty), many requests in
 * flight on a few threads, and one place that says what an answer means for a retry.
 */
public final class Outbound {
    private Outbound() {
    }

    /**
     * A started client. {@code maxConnections} bounds the connections per destination (and so the
     * requests in flight to one API); HTTPS is verified against the JVM's trust store.
     */
    public static HttpClient client(String name, int maxConnections, Duration connectTimeout) {
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(new SslContextFactory.Client());
        connector.setConnectTimeout(connectTimeout);
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName(name + "-http");
        client.setExecutor(threads);
        client.setMaxConnectionsPerDestination(maxConnections);
        client.setMaxRequestsQueuedPerDestination(Math.max(1024, maxConnections * 4));
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client " + name, e);
        }
        return client;
    }

    public static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            // stopping: nothing left to do with it
        }
    }

    /** True for statuses a retry may cure: 408, 425, 429 and 5xx. */
    public static boolean isTransient(int status) {
        return status == 408 || status == 425 || status == 429 || status >= 500;
    }

    /** The wait a {@code Retry-After} header asks for (seconds or an HTTP date), or null. */
    public static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.trim();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, 86_400));
        } catch (NumberFormatException e) {
            try {
                Duration wait = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** The outcome of an HTTP answer that is not a success, by its status. */
    public static CallOutcome.Builder refused(String itemId, String call, int status, String retryAfterHeader, String error, Instant now) {
        Duration wait = retryAfter(retryAfterHeader, now);
        boolean retry = isTransient(status);
        return CallOutcome.newBuilder().setItemId(itemId).setCall(call).setHttpStatus(status)
                .setOutcome(retry ? CallOutcomeKind.TRANSIENT : CallOutcomeKind.PERMANENT)
                .setRetryAfterMillis(wait == null ? null : wait.toMillis())
                .setMayHaveReachedServer(retry && status >= 500)
                .setError(error);
    }

    /** The outcome of a call that got no answer: always worth retrying; it may have been carried out unless it never left. */
    public static CallOutcome failed(String itemId, String call, Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause && !(cause instanceof ConnectException)) {
            cause = cause.getCause();
        }
        boolean neverSent = cause instanceof ConnectException || cause instanceof UnknownHostException
                || cause instanceof UnresolvedAddressException;
        String kind = cause instanceof java.util.concurrent.TimeoutException ? "timed out" : "failed";
        return CallOutcome.newBuilder().setItemId(itemId).setCall(call).setOutcome(CallOutcomeKind.TRANSIENT)
                .setMayHaveReachedServer(!neverSent)
                .setError(call + " " + kind + ": " + cause.getClass().getSimpleName() + (cause.getMessage() == null ? ""
                        : " " + cause.getMessage().substring(0, Math.min(160, cause.getMessage().length())))).build();
    }

    /** A call of a command that was not made because an earlier one did not succeed. */
    public static CallOutcome notAttempted(String itemId, String call) {
        return CallOutcome.newBuilder().setItemId(itemId).setCall(call).setOutcome(CallOutcomeKind.NOT_ATTEMPTED).build();
    }
}
