package org.cse.runtime;

import org.cse.schemas.DeadLetterReason;

/**
 * Thrown by a {@link TransactionalLoop.Handler} for an input it must refuse: the loop writes the
 * record to the dead-letter topic with {@code reason} and {@code detail} in headers and moves on.
 * The detail must name fields and ids, never report content.
 */
public class DeadLetterException extends Exception {
    private static final long serialVersionUID = 1L;
    private final DeadLetterReason reason;

    public DeadLetterException(DeadLetterReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public DeadLetterException(DeadLetterReason reason, String detail) {
        this(reason, detail, null);
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
