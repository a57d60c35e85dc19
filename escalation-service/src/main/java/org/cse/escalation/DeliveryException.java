package org.cse.escalation;

import java.util.Set;

/** A referral target (NCMEC or a hotline) refused or failed a call; {@link #isTransient()} says whether a retry may help. */
public class DeliveryException extends Exception {
    private static final long serialVersionUID = 1L;
    /** Server-side failures NCMEC documents as worth retrying (server error, save/upload/update failed). */
    private static final Set<Integer> TRANSIENT_CODES = Set.of(1000, 1100, 1110, 1111, 1300);

    private final int responseCode;
    private final boolean transientFailure;

    public DeliveryException(int responseCode, String message, boolean transientFailure) {
        super(message);
        this.responseCode = responseCode;
        this.transientFailure = transientFailure;
    }

    static DeliveryException ofCode(String call, int code, String description) {
        return new DeliveryException(code, call + " answered responseCode " + code + " (" + description + ")",
                TRANSIENT_CODES.contains(code));
    }

    /** -1 when the failure was HTTP or I/O, not an API response code. */
    public int responseCode() {
        return responseCode;
    }

    public boolean isTransient() {
        return transientFailure;
    }
}
