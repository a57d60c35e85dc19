package org.cse.classifier;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.cse.events.ActionType;

/**
 * Deterministic ids: the same incident always yields the same decision, action and referral ids, so
 * a replay after a crash is recognised downstream (Idempotency-Key at the platform, referral state).
 */
public final class Ids {
    private Ids() {
    }

    /** An incident: the account, the first content key, and the report that opened it. */
    public static String incident(String accountId, String firstContentKey, String firstReportId) {
        return "inc-" + digest(accountId + "\u0000" + firstContentKey + "\u0000" + firstReportId);
    }

    public static String decision(String incidentId) {
        return "dec-" + incidentId.substring("inc-".length());
    }

    public static String reviewRequest(String incidentId) {
        return "rev-" + incidentId.substring("inc-".length());
    }

    public static String appealReview(String appealId) {
        return "rev-appeal-" + digest(appealId);
    }

    public static String appealDecision(String appealId) {
        return "dec-appeal-" + digest(appealId);
    }

    public static String banEvasionDecision(String accountEventId) {
        return "dec-evasion-" + digest(accountEventId);
    }

    public static String action(String decisionId, ActionType type) {
        return decisionId + "/" + type.name();
    }

    public static String ncmecReferral(String decisionId) {
        return decisionId + "/NCMEC";
    }

    public static String inhopeReferral(String decisionId, String country) {
        return decisionId + "/INHOPE-" + country;
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
