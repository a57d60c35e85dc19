package org.cse.localstack.sandbox;

import java.time.Duration;

/**
 * How a sandbox behaves on every call, like the real API on a bad day: a latency (fixed plus a
 * uniform jitter), and fault rates: answers 503, answers 429 with {@code Retry-After}, calls left
 * unanswered (the client times out; nothing is done), and answers lost after the work was done (the
 * client sees a 502; the work stands). The rates are probabilities in [0, 1] and are drawn in that
 * order; their sum must not exceed 1.
 *
 * @param latency fixed delay before every answer
 * @param jitter up to this much more, uniformly
 * @param serverErrors share of calls answered 503, nothing done
 * @param tooManyRequests share of calls answered 429 with {@code Retry-After: retryAfterSeconds}, nothing done
 * @param retryAfterSeconds the wait a 429 asks for
 * @param timeouts share of calls never answered within {@code unanswered} (nothing done)
 * @param unanswered how long an unanswered call is held before the connection is answered 504
 * @param lostAnswers share of calls carried out and then answered 502, as if the answer were lost
 */
public record Behaviour(Duration latency, Duration jitter, double serverErrors, double tooManyRequests, int retryAfterSeconds,
                        double timeouts, Duration unanswered, double lostAnswers) {
    /** Answers at once, never fails: the default. */
    public static final Behaviour PROMPT = new Behaviour(Duration.ZERO, Duration.ZERO, 0, 0, 1, 0, Duration.ofSeconds(30), 0);

    public Behaviour {
        double sum = serverErrors + tooManyRequests + timeouts + lostAnswers;
        if (serverErrors < 0 || tooManyRequests < 0 || timeouts < 0 || lostAnswers < 0 || sum > 1) {
            throw new IllegalArgumentException("fault rates must be in [0, 1] and add up to at most 1");
        }
    }

    /** Every call takes {@code fixed} plus up to {@code jitter}. */
    public static Behaviour latency(Duration fixed, Duration jitter) {
        return new Behaviour(fixed, jitter, 0, 0, 1, 0, Duration.ofSeconds(30), 0);
    }

    public Behaviour withFaults(double serverErrors, double tooManyRequests, double lostAnswers) {
        return new Behaviour(latency, jitter, serverErrors, tooManyRequests, retryAfterSeconds, timeouts, unanswered, lostAnswers);
    }

    public Behaviour withTimeouts(double timeouts, Duration unanswered) {
        return new Behaviour(latency, jitter, serverErrors, tooManyRequests, retryAfterSeconds, timeouts, unanswered, lostAnswers);
    }

    public Behaviour withRetryAfter(int seconds) {
        return new Behaviour(latency, jitter, serverErrors, tooManyRequests, seconds, timeouts, unanswered, lostAnswers);
    }

    /** What one call gets. */
    enum Fate { SERVE, SERVER_ERROR, TOO_MANY_REQUESTS, UNANSWERED, LOST_ANSWER }

    Fate draw(double roll) {
        double edge = serverErrors;
        if (roll < edge) {
            return Fate.SERVER_ERROR;
        }
        edge += tooManyRequests;
        if (roll < edge) {
            return Fate.TOO_MANY_REQUESTS;
        }
        edge += timeouts;
        if (roll < edge) {
            return Fate.UNANSWERED;
        }
        edge += lostAnswers;
        return roll < edge ? Fate.LOST_ANSWER : Fate.SERVE;
    }

    Duration delay(double roll) {
        return latency.plusNanos((long) (jitter.toNanos() * roll));
    }
}
