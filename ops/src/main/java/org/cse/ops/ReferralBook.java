package org.cse.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;

/**
 * The latest state of every referral, as cse.referrals.v1 (compacted, key: referral id) tells it:
 * what {@code cse-ops referrals} filters and the console's legal clock is measured from.
 */
final class ReferralBook {
    private final Map<String, ReferralState> latest = new ConcurrentHashMap<>();

    void accept(String referralId, ReferralState state) {
        if (state == null) {
            latest.remove(referralId);
        } else {
            latest.put(referralId, state);
        }
    }

    Collection<ReferralState> all() {
        return latest.values();
    }

    static boolean open(ReferralState state) {
        return state.getStatus() != ReferralStatus.FINISHED && state.getStatus() != ReferralStatus.RETRACTED;
    }

    /** The legal clock of NCMEC reports: first confirmation to finished report. */
    record LegalClock(long finished, Duration p50, Duration p99, long open, Duration oldestOpen, String oldestOpenReferral) {}

    LegalClock legalClock(Instant now) {
        List<Long> took = new ArrayList<>();
        long open = 0;
        Duration oldest = null;
        String oldestId = null;
        for (ReferralState state : latest.values()) {
            if (state.getTarget() != ReferralTarget.NCMEC || state.getKnowledgeAt() == null) {
                continue;
            }
            if (state.getStatus() == ReferralStatus.FINISHED) {
                took.add(Duration.between(state.getKnowledgeAt(), state.getUpdatedAt()).toMillis());
            } else if (open(state)) {
                open++;
                Duration age = Duration.between(state.getKnowledgeAt(), now);
                if (oldest == null || age.compareTo(oldest) > 0) {
                    oldest = age;
                    oldestId = state.getReferralId();
                }
            }
        }
        took.sort(null);
        return new LegalClock(took.size(), percentile(took, 0.50), percentile(took, 0.99), open, oldest, oldestId);
    }

    private static Duration percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return null;
        }
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return Duration.ofMillis(sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))));
    }
}
