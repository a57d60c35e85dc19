package org.cse.classifier;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.cse.classifier.state.AccountState;
import org.cse.events.ContentRef;
import org.cse.classifier.state.Incident;
import org.cse.classifier.state.IncidentState;
import org.cse.classifier.state.ReportSeen;
import org.cse.classifier.state.Strike;
import org.cse.events.ThirdPartyUrl;

/**
 * Keeps an account's history within a size budget, well under what its changelog topic accepts: a
 * history that grew past it could not be written, and the classifier would stop for everyone. Pure.
 *
 * <p>What goes first is what the policy needs least, oldest first, and what is dropped is counted:
 * details of decided incidents, then decided incidents, then old report ids, then details and then
 * whole of other open incidents, then the current incident's details, then old strikes (counted in
 * {@code earlierStrikes}, so "an earlier confirmed violation" still holds). The account's status,
 * whether it has a strike, and the incident of the input at hand are never dropped: a flood of
 * unconfirmed reports can cost old detail, never a confirmation.
 */
final class StateBudget {
    /** Encoded size of an account's history at most; the changelog accepts 1 MiB. */
    static final int MAX_STATE_BYTES = 768 * 1024;
    private static final int KEPT_REPORT_IDS = 10;
    private static final int KEPT_CONTENT_KEYS = 20;
    private static final int KEPT_RECENT_REPORTS = 50;
    private static final int KEPT_STRIKES = 10;
    private static final int KEPT_IDENTIFIERS = 20;

    /** The history within budget, and how many items were trimmed to get there (0: it already fitted). */
    record Fitted(AccountState state, int trimmed) {}

    private StateBudget() {
    }

    static Fitted fit(AccountState state, String currentIncidentId) {
        return fit(state, currentIncidentId, MAX_STATE_BYTES);
    }

    static Fitted fit(AccountState state, String currentIncidentId, int budget) {
        if (AccountStateSerde.measure(state) <= budget) {
            return new Fitted(state, 0);
        }
        List<Incident> incidents = new ArrayList<>(state.getIncidents());
        List<Integer> sizes = new ArrayList<>(incidents.size());
        incidents.forEach(incident -> sizes.add(size(incident)));
        AccountState.Builder rest = AccountState.newBuilder(state).setIncidents(List.of());
        int fixed = size(rest.build());
        int trimmed = 0;
        int dropped = 0;

        // 1. details of decided incidents, oldest first
        for (int i = 0; i < incidents.size() && over(fixed, sizes, budget); i++) {
            Incident incident = incidents.get(i);
            if (incident.getState() == IncidentState.DECIDED && !isCurrent(incident, currentIncidentId)) {
                trimmed += replace(incidents, sizes, i, stripped(incident, false));
            }
        }
        // 2. decided incidents, oldest first
        for (int i = 0; i < incidents.size() && over(fixed, sizes, budget); ) {
            Incident incident = incidents.get(i);
            if (incident.getState() == IncidentState.DECIDED && !isCurrent(incident, currentIncidentId)) {
                incidents.remove(i);
                sizes.remove(i);
                dropped++;
            } else {
                i++;
            }
        }
        // 3. report ids taken long ago (a retry that old is no longer recognised as one)
        if (over(fixed, sizes, budget) && rest.getRecentReports().size() > KEPT_RECENT_REPORTS) {
            List<ReportSeen> reports = rest.getRecentReports();
            trimmed += reports.size() - KEPT_RECENT_REPORTS;
            rest.setRecentReports(List.copyOf(reports.subList(reports.size() - KEPT_RECENT_REPORTS, reports.size())));
            fixed = size(rest.build());
        }
        // 4. details of other open incidents, then 5. the open incidents themselves, oldest first
        for (int i = 0; i < incidents.size() && over(fixed, sizes, budget); i++) {
            if (!isCurrent(incidents.get(i), currentIncidentId)) {
                trimmed += replace(incidents, sizes, i, stripped(incidents.get(i), true));
            }
        }
        for (int i = 0; i < incidents.size() && over(fixed, sizes, budget); ) {
            if (!isCurrent(incidents.get(i), currentIncidentId)) {
                incidents.remove(i);
                sizes.remove(i);
                dropped++;
            } else {
                i++;
            }
        }
        // 6. the current incident's details (its content ids stay: they are what removal needs)
        for (int i = 0; i < incidents.size() && over(fixed, sizes, budget); i++) {
            trimmed += replace(incidents, sizes, i, stripped(incidents.get(i), true));
        }
        // 7. old strikes (still counted as earlier violations) and old identifiers
        if (over(fixed, sizes, budget)) {
            List<Strike> strikes = rest.getStrikes();
            if (strikes.size() > KEPT_STRIKES) {
                int cut = strikes.size() - KEPT_STRIKES;
                rest.setEarlierStrikes(rest.getEarlierStrikes() + cut);
                rest.setStrikes(List.copyOf(strikes.subList(cut, strikes.size())));
                trimmed += cut;
            }
            var identifiers = rest.getIdentifiers();
            if (identifiers.size() > KEPT_IDENTIFIERS) {
                trimmed += identifiers.size() - KEPT_IDENTIFIERS;
                rest.setIdentifiers(List.copyOf(identifiers.subList(identifiers.size() - KEPT_IDENTIFIERS, identifiers.size())));
            }
        }
        AccountState fitted = rest.setIncidents(List.copyOf(incidents))
                .setTrimmedIncidents(state.getTrimmedIncidents() + dropped).build();
        return new Fitted(fitted, trimmed + dropped);
    }

    private static boolean isCurrent(Incident incident, String currentIncidentId) {
        return incident.getIncidentId().equals(currentIncidentId);
    }

    private static boolean over(int fixed, List<Integer> sizes, int budget) {
        int total = fixed;
        for (int size : sizes) {
            total += size;
        }
        return total > budget;
    }

    /** Replaces incident i; returns 1 if it changed. */
    private static int replace(List<Incident> incidents, List<Integer> sizes, int i, Incident replacement) {
        if (replacement.equals(incidents.get(i))) {
            return 0;
        }
        incidents.set(i, replacement);
        sizes.set(i, size(replacement));
        return 1;
    }

    /**
     * The incident without its details: content ids and kinds stay (removal needs them), hashes, URLs
     * and file names go; third-party URLs keep only URL and country while open (a referral still needs
     * them), none once decided; old report ids and content keys go, their count stays.
     */
    static Incident stripped(Incident incident, boolean open) {
        List<ContentRef> content = incident.getContent().stream()
                .map(c -> ContentRef.newBuilder().setContentId(c.getContentId()).setKind(c.getKind()).build()).toList();
        List<ThirdPartyUrl> urls = open ? incident.getThirdPartyUrls().stream()
                .map(u -> ThirdPartyUrl.newBuilder().setUrl(u.getUrl()).setHostingCountry(u.getHostingCountry()).build()).toList()
                : List.of();
        List<String> reportIds = incident.getReportIds();
        List<String> keys = incident.getContentKeys();
        return Incident.newBuilder(incident)
                .setContent(content)
                .setThirdPartyUrls(urls)
                .setReportCount(Math.max(incident.getReportCount(), reportIds.size()))
                .setReportIds(reportIds.size() <= KEPT_REPORT_IDS ? reportIds
                        : List.copyOf(reportIds.subList(reportIds.size() - KEPT_REPORT_IDS, reportIds.size())))
                .setContentKeys(keys.size() <= KEPT_CONTENT_KEYS ? keys : List.copyOf(keys.subList(0, KEPT_CONTENT_KEYS)))
                .setDetailTrimmed(true)
                .build();
    }

    /** Avro binary size of a record, counted without keeping the bytes. */
    static int size(SpecificRecord record) {
        Counting out = new Counting();
        try {
            @SuppressWarnings("unchecked")
            SpecificDatumWriter<SpecificRecord> writer = new SpecificDatumWriter<>((Class<SpecificRecord>) record.getClass());
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.count;
    }

    private static final class Counting extends OutputStream {
        int count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
