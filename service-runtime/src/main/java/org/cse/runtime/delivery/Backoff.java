package org.cse.runtime.delivery;

import java.time.Duration;

/**
 * When to try again after a failed call: exponential from {@code initial}, capped at {@code max},
 * spread by ±{@code jitter} so that a recovering API is not hit by every waiting item at once, and
 * never sooner than the other side asked for ({@code Retry-After}). Pure: the spread comes from a
 * seed (the item's id and attempt), so the same failure always gives the same delay and a test can
 * say what it will be.
 */
public record Backoff(Duration initial, Duration max, double jitter) {
    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max");
        }
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("jitter must be in [0, 1)");
        }
    }

    /**
     * @param failedAttempts calls failed so far in this series (1 after the first failure)
     * @param retryAfter what the other side asked for, or null
     * @param seed anything stable for the item and attempt
     */
    public Duration after(int failedAttempts, Duration retryAfter, long seed) {
        int doublings = Math.max(0, Math.min(failedAttempts - 1, 30));
        long base = Math.min(max.toMillis(), initial.toMillis() << doublings);
        if (base < 0) {
            base = max.toMillis();
        }
        // a deterministic spread in [-jitter, +jitter]
        double unit = (mix(seed) >>> 11) * 0x1.0p-53;
        long spread = Math.round(base * jitter * (2 * unit - 1));
        long delay = Math.max(1, base + spread);
        if (retryAfter != null && retryAfter.toMillis() > delay) {
            delay = retryAfter.toMillis();
        }
        return Duration.ofMillis(delay);
    }

    /** SplitMix64's finaliser: neighbouring seeds give unrelated values. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
