package org.cse.intake;

import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;

/**
 * What an authenticated publisher may assert, applied to a report it sent (either channel). Pure.
 *
 * <ul>
 *   <li>The reporter kind must be one of the publisher's {@code reporterKinds}: only the platform's
 *       hash matcher sends HASH_MATCH, only its ML classifier CLASSIFIER, only the review tool
 *       REVIEWER.</li>
 *   <li>{@code matchListVerified} comes from the grant, never from the body: a match against a list in
 *       the publisher's {@code verifiedMatchLists} is verified; a claim of a verified match against any
 *       other list is refused, never silently downgraded.</li>
 *   <li>{@code sourceService} is the publisher's id, whatever the body says.</li>
 * </ul>
 */
final class Grants {
    private Grants() {
    }

    /** The report as stored, or why the publisher may not send it. */
    sealed interface Outcome permits Allowed, Forbidden {}

    /** @param confirmed whether it is a verified match (the kind of report rate-limited apart) */
    record Allowed(Report report, boolean confirmed) implements Outcome {}

    record Forbidden(String field, String message) implements Outcome {}

    static Outcome apply(Report report, PublisherRegistry.Publisher publisher) {
        Reporter reporter = report.getReporter();
        ReporterKind kind = reporter.getKind();
        if (!publisher.reporterKinds().contains(kind)) {
            return new Forbidden("reporter.kind", "publisher " + publisher.id() + " may not send " + kind + " reports");
        }
        boolean isMatch = kind == ReporterKind.HASH_MATCH || kind == ReporterKind.URL_MATCH;
        boolean granted = isMatch && publisher.verifiedMatchLists().contains(reporter.getMatchList());
        if (isMatch && reporter.getMatchListVerified() && !granted) {
            return new Forbidden("reporter.matchList", "publisher " + publisher.id()
                    + " is not registered to report verified matches against this list");
        }
        Report stored = Report.newBuilder(report)
                .setReporter(Reporter.newBuilder(reporter).setMatchListVerified(granted).build())
                .setSourceService(publisher.id())
                .build();
        return new Allowed(stored, granted);
    }
}
