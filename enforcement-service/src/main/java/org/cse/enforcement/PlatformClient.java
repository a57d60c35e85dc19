package org.cse.enforcement;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cse.events.Action;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.OutcomeStatus;
import org.cse.runtime.http.PathSegment;

/**
 * Client of the platform's account-actions API: {@code POST /v1/accounts/{id}/actions} with the
 * action id as {@code Idempotency-Key}, so a retry after a lost response or a crash is applied once.
 * Transient failures (I/O, 408, 429, 5xx) are retried with exponential backoff and jitter, honouring
 * {@code Retry-After}; other 4xx are final (REJECTED).
 */
public final class PlatformClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What became of one action. */
    public record Result(OutcomeStatus status, Integer httpStatus, int attempts, String detail) {}

    private static final class Transient extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final Duration retryAfter;

        Transient(int status, String message, Duration retryAfter) {
            super(message);
            this.status = status;
            this.retryAfter = retryAfter;
        }
    }

    private final URI baseUrl;
    private final String token;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final RetryPolicy<HttpResponse<String>> retry;

    public PlatformClient(URI baseUrl, String token, Duration requestTimeout, int maxAttempts, Duration initialBackoff,
                          Duration maxBackoff) {
        this.baseUrl = URI.create(baseUrl.toString().replaceAll("/+$", "") + "/");
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
        this.retry = RetryPolicy.<HttpResponse<String>>builder()
                .handle(IOException.class, Transient.class)
                .withMaxAttempts(maxAttempts)
                .withBackoff(initialBackoff, maxBackoff)
                .withJitter(0.2)
                .withDelayFnOn(context -> {
                    Transient failure = (Transient) context.getLastException();
                    return failure.retryAfter == null ? Duration.ofMillis(-1) : failure.retryAfter;
                }, Transient.class)
                .build();
    }

    public Result apply(Decision decision, Action action) throws InterruptedException {
        // one path segment, whatever the id holds: never resolved as '.' or '..' into another resource
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "v1/accounts/" + PathSegment.encode(decision.getAccountId())
                        + "/actions"))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + token)
                .header("Idempotency-Key", action.getActionId())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(decision, action)))
                .build();
        AtomicInteger attempts = new AtomicInteger();
        try {
            HttpResponse<String> response = Failsafe.with(retry).get(() -> {
                attempts.incrementAndGet();
                HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = answer.statusCode();
                if (status == 408 || status == 429 || status >= 500) {
                    throw new Transient(status, "HTTP " + status, retryAfter(answer));
                }
                return answer;
            });
            int status = response.statusCode();
            if (status == 200 || status == 201) {
                boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false);
                return new Result(replayed ? OutcomeStatus.ALREADY_APPLIED : OutcomeStatus.APPLIED, status, attempts.get(), null);
            }
            return new Result(OutcomeStatus.REJECTED, status, attempts.get(), errorOf(response));
        } catch (FailsafeException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            Integer status = cause instanceof Transient t ? t.status : null;
            return new Result(OutcomeStatus.FAILED, status, attempts.get(), "gave up after " + attempts.get()
                    + " attempts: " + (cause == null ? e.toString() : cause.getMessage()));
        }
    }

    private static String body(Decision decision, Action action) {
        ObjectNode body = JSON.createObjectNode()
                .put("actionId", action.getActionId())
                .put("decisionId", decision.getDecisionId())
                .put("type", action.getType().name())
                .put("notifyUser", action.getNotifyUser())
                .put("reason", decision.getReason())
                .put("policyVersion", decision.getPolicyVersion());
        ArrayNode content = body.putArray("contentIds");
        action.getContentIds().forEach(content::add);
        ArrayNode identifiers = body.putArray("identifiers");
        for (Identifier identifier : action.getIdentifierHashes()) {
            identifiers.addObject().put("type", identifier.getType().name()).put("hash", identifier.getHash());
        }
        return body.toString();
    }

    private static Duration retryAfter(HttpResponse<String> response) {
        return response.headers().firstValue("Retry-After").map(value -> {
            try {
                return Duration.of(Long.parseLong(value.trim()), ChronoUnit.SECONDS);
            } catch (NumberFormatException e) {
                return null;
            }
        }).orElse(null);
    }

    private static String errorOf(HttpResponse<String> response) {
        try {
            return "HTTP " + response.statusCode() + ": " + JSON.readTree(response.body()).path("error").asText("");
        } catch (IOException e) {
            return "HTTP " + response.statusCode();
        }
    }
}
