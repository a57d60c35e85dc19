package org.cse.schemas;

/**
 * Why a record was dead-lettered: the value of the {@code cse.dlq.reason} header. One vocabulary for
 * every service, the README and the operator tooling.
 */
public enum DeadLetterReason {
    /** A field breaks a rule or a limit; the detail names the field and the rule. */
    INVALID_FIELD,
    /** Raw bytes that are not one JSON object in strict UTF-8. */
    MALFORMED_JSON,
    /** A raw submission without a value. */
    EMPTY_RECORD,
    /** Bytes that are not a record of the topic's schema (wire format, schema id, Avro body, trailing bytes). */
    DESERIALIZATION,
    /** A record without the account id key its topic requires. */
    NULL_KEY,
    /** A record without a value. */
    NULL_VALUE,
    /** A record whose key is not the account id its value names. */
    KEY_MISMATCH,
    /** A publisher asserted what its grant does not allow (a reporter kind, a verified match list), or is not registered. */
    FORBIDDEN,
    /** A report id seen before for the same account with different content. */
    REPORT_ID_CONFLICT,
    /** A verdict for a report the classifier never saw. */
    UNKNOWN_REPORT,
    /** An exemption on depicting or linking content. */
    INVALID_EXEMPTION,
    /** A verdict without the category or exemption it needs. */
    INVALID_VERDICT,
    /** An appeal of a decision the classifier never made. */
    UNKNOWN_DECISION,
    /** An overturn of a decision that left no strike. */
    NOTHING_TO_OVERTURN,
    /** A verdict on an incident already decided. */
    INCIDENT_ALREADY_DECIDED,
    /** A referral refused by NCMEC or a hotline for a reason a retry cannot fix. */
    REFERRAL_REFUSED,
    /** Handling failed for a reason no retry fixed. */
    PROCESSING_FAILED
}
