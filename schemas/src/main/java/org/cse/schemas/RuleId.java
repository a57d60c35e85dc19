package org.cse.schemas;

/**
 * The row of the decision table that fired: the {@code ruleId} of every decision, in one vocabulary
 * for the classifier, the services that read decisions, the metrics, the README and the operators'
 * tooling. The wire form ({@link #id()}) is what decisions carry.
 */
public enum RuleId {
    CONFIRMED_MALICIOUS("confirmed-malicious"),
    NO_MALICE_NOT_ALLOWED("no-malice-not-allowed-for-category"),
    NO_MALICE_FIRST("no-malice-first-violation"),
    REPEAT_VIOLATION("repeat-violation"),
    ALREADY_SUSPENDED("already-suspended"),
    NOT_A_VIOLATION("not-a-violation"),
    APPEAL_UPHELD("appeal-upheld"),
    APPEAL_OVERTURNED("appeal-overturned"),
    BAN_EVASION("ban-evasion");

    private final String id;

    RuleId(String id) {
        this.id = id;
    }

    /** The rule's id as decisions carry it, e.g. {@code confirmed-malicious}. */
    public String id() {
        return id;
    }

    /** The rule with this wire id, or null. */
    public static RuleId of(String id) {
        for (RuleId rule : values()) {
            if (rule.id.equals(id)) {
                return rule;
            }
        }
        return null;
    }
}
