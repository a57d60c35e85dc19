package org.cse.runtime;

/**
 * Thrown by a {@link TransactionalLoop.Handler} for an input it must refuse: the loop writes the
 * record to the dead-letter topic with {@code reason} and {@code detail} in headers and moves on.
 * The detail must name fields and ids, never report content.
 */
public class DeadLetterException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public DeadLetterException(String reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public DeadLetterException(String reason, String detail) {
        this(reason, detail, null);
    }

    public String reason() {
        return reason;
    }
}
