package org.cse.schemas.registry;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A schema registry call failed. Extends Kafka's {@link SerializationException} so that producers,
 * consumers and Kafka Streams' exception handlers treat it as a serde failure of the record at hand.
 */
public class SchemaRegistryException extends SerializationException {
    private static final long serialVersionUID = 1L;

    /** How the registry failed: lets callers tell an unknown schema from an outage. */
    public enum Kind { NOT_FOUND, INCOMPATIBLE, UNAVAILABLE, BAD_RESPONSE }

    private final Kind kind;

    public SchemaRegistryException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public SchemaRegistryException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /**
     * True when {@code failure} or one of its causes is the registry being unreachable: not the
     * record's fault, so the record must be retried, never dead-lettered.
     */
    public static boolean isOutage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException e && e.kind == Kind.UNAVAILABLE) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
