package org.cse.schemas;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cse.events.AccountEvent;
import org.cse.events.Action;
import org.cse.events.Appeal;
import org.cse.events.ContentHash;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.GeneratedMedium;
import org.cse.events.Identifier;
import org.cse.events.Referral;
import org.cse.events.Retraction;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ThirdPartyUrl;
import org.cse.events.Verdict;

/**
 * The field rules of {@link Limits} applied to whole records, for every path a record can take in:
 * intake applies them to what it builds from JSON, the classifier to what it reads from its Avro
 * input topics (which a misbehaving producer may have written without intake), enforcement and
 * escalation to the decisions they act on. A violation names the field (JSON path) and the rule,
 * never the value.
 */
public final class InputChecks {
    /** A broken rule: where, and what the rule is. */
    public record Violation(String field, String rule) {
        public String message() {
            return field + ": " + rule;
        }
    }

    private InputChecks() {
    }

    /** The report's fields against the rules, or null if all hold. Counts are not checked here: see {@link #fitCounts}. */
    public static Violation report(Report report, Instant now) {
        List<Violation> found = new ArrayList<>(1);
        id(found, "reportId", report.getReportId());
        id(found, "accountId", report.getAccountId());
        Reporter reporter = report.getReporter();
        if (reporter.getReporterId() != null) {
            id(found, "reporter.id", reporter.getReporterId());
        }
        if (reporter.getMatchList() != null) {
            id(found, "reporter.matchList", reporter.getMatchList());
        }
        Double score = reporter.getClassifierScore();
        if (score != null && !(score >= 0 && score <= 1)) {
            found.add(new Violation("reporter.classifierScore", "must be between 0 and 1"));
        }
        if (report.getGeneratedMedium() != GeneratedMedium.NOT_STATED && reporter.getKind() != ReporterKind.CLASSIFIER
                && reporter.getKind() != ReporterKind.HASH_MATCH) {
            found.add(new Violation("generatedMedium", "may be stated by a classifier or hash-match report only (a reviewer states it "
                    + "otherwise)"));
        }
        for (int i = 0; i < report.getContent().size() && found.isEmpty(); i++) {
            content(found, "content[" + i + "]", report.getContent().get(i), now);
        }
        for (int i = 0; i < report.getThirdPartyUrls().size() && found.isEmpty(); i++) {
            thirdPartyUrl(found, "thirdPartyUrls[" + i + "]", report.getThirdPartyUrls().get(i));
        }
        if (report.getDescription() != null) {
            text(found, "description", report.getDescription(), Limits.MAX_DESCRIPTION_CHARS, true);
        }
        id(found, "sourceService", report.getSourceService());
        instant(found, "reportedAt", report.getReportedAt(), now);
        instant(found, "receivedAt", report.getReceivedAt(), now);
        return found.isEmpty() ? null : found.get(0);
    }

    /** A report cut to the count limits, and how many items were cut. */
    public record Fitted(Report report, int itemsCut) {}

    /**
     * The report within the count limits (content items, hashes per item, third-party URLs): the first
     * items are kept, the rest are counted. Intake refuses reports over the limits; this is for reports
     * that reach the classifier by another way, which must still be decided, never dropped for size.
     */
    public static Fitted fitCounts(Report report) {
        int cut = 0;
        List<ContentRef> content = report.getContent();
        if (content.size() > Limits.MAX_CONTENT_ITEMS) {
            cut += content.size() - Limits.MAX_CONTENT_ITEMS;
            content = content.subList(0, Limits.MAX_CONTENT_ITEMS);
        }
        List<ContentRef> fitted = new ArrayList<>(content.size());
        for (ContentRef item : content) {
            if (item.getHashes().size() > Limits.MAX_HASHES_PER_ITEM) {
                cut += item.getHashes().size() - Limits.MAX_HASHES_PER_ITEM;
                item = ContentRef.newBuilder(item).setHashes(List.copyOf(item.getHashes().subList(0, Limits.MAX_HASHES_PER_ITEM))).build();
            }
            fitted.add(item);
        }
        List<ThirdPartyUrl> urls = report.getThirdPartyUrls();
        if (urls.size() > Limits.MAX_THIRD_PARTY_URLS) {
            cut += urls.size() - Limits.MAX_THIRD_PARTY_URLS;
            urls = List.copyOf(urls.subList(0, Limits.MAX_THIRD_PARTY_URLS));
        }
        if (cut == 0) {
            return new Fitted(report, 0);
        }
        return new Fitted(Report.newBuilder(report).setContent(List.copyOf(fitted)).setThirdPartyUrls(urls).build(), cut);
    }

    public static Violation verdict(Verdict verdict, Instant now) {
        List<Violation> found = new ArrayList<>(1);
        id(found, "verdictId", verdict.getVerdictId());
        id(found, "reportId", verdict.getReportId());
        if (verdict.getIncidentId() != null) {
            id(found, "incidentId", verdict.getIncidentId());
        }
        id(found, "accountId", verdict.getAccountId());
        id(found, "reviewerId", verdict.getReviewerId());
        instant(found, "decidedAt", verdict.getDecidedAt(), now);
        return found.isEmpty() ? null : found.get(0);
    }

    public static Violation appeal(Appeal appeal, Instant now) {
        List<Violation> found = new ArrayList<>(1);
        id(found, "appealId", appeal.getAppealId());
        id(found, "accountId", appeal.getAccountId());
        id(found, "decisionId", appeal.getDecisionId());
        if (appeal.getReviewerId() != null) {
            id(found, "reviewerId", appeal.getReviewerId());
        }
        instant(found, "at", appeal.getAt(), now);
        return found.isEmpty() ? null : found.get(0);
    }

    public static Violation accountEvent(AccountEvent event, Instant now) {
        List<Violation> found = new ArrayList<>(1);
        id(found, "eventId", event.getEventId());
        id(found, "accountId", event.getAccountId());
        if (event.getIdentifiers().size() > Limits.MAX_IDENTIFIERS) {
            found.add(new Violation("identifiers", "has more than " + Limits.MAX_IDENTIFIERS + " items"));
        }
        for (int i = 0; i < event.getIdentifiers().size() && found.isEmpty(); i++) {
            identifier(found, "identifiers[" + i + "]", event.getIdentifiers().get(i));
        }
        instant(found, "at", event.getAt(), now);
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * What enforcement needs of a decision before it calls the platform: the account id is an id (it
     * names the account in the URL path), action ids are safe Idempotency-Key header values, content
     * ids and identifier hashes are what the platform issued. A decision that breaks these did not come
     * from the classifier, which emits none; it is refused rather than acted on.
     */
    public static Violation decisionActions(Decision decision) {
        List<Violation> found = new ArrayList<>(1);
        id(found, "accountId", decision.getAccountId());
        id(found, "decisionId", decision.getDecisionId());
        for (int i = 0; i < decision.getActions().size() && found.isEmpty(); i++) {
            Action action = decision.getActions().get(i);
            contentId(found, "actions[" + i + "].actionId", action.getActionId());
            for (int j = 0; j < action.getContentIds().size() && found.isEmpty(); j++) {
                contentId(found, "actions[" + i + "].contentIds[" + j + "]", action.getContentIds().get(j));
            }
            for (int j = 0; j < action.getIdentifierHashes().size() && found.isEmpty(); j++) {
                identifier(found, "actions[" + i + "].identifierHashes[" + j + "]", action.getIdentifierHashes().get(j));
            }
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * What escalation needs of a decision before it refers it: referral ids are safe keys and header
     * values, the incident type and annotations are words NCMEC accepts ({@link NcmecVocabulary}),
     * hosting countries are countries. Free text (the account id, URLs, content ids) is not checked:
     * the report builder makes any text legal XML, so a legally required report is never refused for
     * what its text holds.
     */
    public static Violation decisionReferrals(Decision decision) {
        List<Violation> found = new ArrayList<>(1);
        for (int i = 0; i < decision.getReferrals().size() && found.isEmpty(); i++) {
            Referral referral = decision.getReferrals().get(i);
            contentId(found, "referrals[" + i + "].referralId", referral.getReferralId());
            if (referral.getHostingCountry() != null && !Limits.isCountry(referral.getHostingCountry())) {
                found.add(new Violation("referrals[" + i + "].hostingCountry", "must be an ISO 3166-1 alpha-2 country code"));
            }
            if (referral.getIncidentType() != null && !NcmecVocabulary.INCIDENT_TYPES.contains(referral.getIncidentType())) {
                found.add(new Violation("referrals[" + i + "].incidentType", "is not one of NCMEC's incident types"));
            }
            if (!NcmecVocabulary.REPORT_ANNOTATIONS.containsAll(referral.getReportAnnotations())) {
                found.add(new Violation("referrals[" + i + "].reportAnnotations", "holds a flag NCMEC does not know"));
            }
            if (!NcmecVocabulary.FILE_ANNOTATIONS.containsAll(referral.getFileAnnotations())) {
                found.add(new Violation("referrals[" + i + "].fileAnnotations", "holds a flag NCMEC does not know"));
            }
        }
        for (int i = 0; i < decision.getRetractReferralIds().size() && found.isEmpty(); i++) {
            contentId(found, "retractReferralIds[" + i + "]", decision.getRetractReferralIds().get(i));
        }
        for (int i = 0; i < decision.getRetractions().size() && found.isEmpty(); i++) {
            Retraction retraction = decision.getRetractions().get(i);
            contentId(found, "retractions[" + i + "].referralId", retraction.getReferralId());
            if (retraction.getHostingCountry() != null && !Limits.isCountry(retraction.getHostingCountry())) {
                found.add(new Violation("retractions[" + i + "].hostingCountry", "must be an ISO 3166-1 alpha-2 country code"));
            }
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static void content(List<Violation> found, String path, ContentRef content, Instant now) {
        contentId(found, path + ".contentId", content.getContentId());
        if (content.getUrl() != null) {
            url(found, path + ".url", content.getUrl());
        }
        if (content.getFileName() != null) {
            text(found, path + ".fileName", content.getFileName(), Limits.MAX_FILE_NAME_CHARS, false);
        }
        for (int j = 0; j < content.getHashes().size() && found.isEmpty(); j++) {
            ContentHash hash = content.getHashes().get(j);
            String problem = Limits.hashProblem(hash.getAlgorithm(), hash.getValue());
            if (problem != null) {
                found.add(new Violation(path + ".hashes[" + j + "]", problem));
            }
        }
        if (content.getUploadedAt() != null) {
            instant(found, path + ".uploadedAt", content.getUploadedAt(), now);
        }
    }

    private static void thirdPartyUrl(List<Violation> found, String path, ThirdPartyUrl url) {
        url(found, path + ".url", url.getUrl());
        if (url.getHostingCountry() != null && !Limits.isCountry(url.getHostingCountry())) {
            found.add(new Violation(path + ".hostingCountry", "must be an ISO 3166-1 alpha-2 country code in capitals, like DE"));
        }
        if (url.getHostingIp() != null && !Limits.isIpLiteral(url.getHostingIp())) {
            found.add(new Violation(path + ".hostingIp", "must be an IPv4 or IPv6 address"));
        }
        if (url.getHostingIsp() != null) {
            text(found, path + ".hostingIsp", url.getHostingIsp(), Limits.MAX_HOSTING_ISP_CHARS, false);
        }
        if (url.getHostingAsn() != null && !Limits.isAsn(url.getHostingAsn())) {
            found.add(new Violation(path + ".hostingAsn", "must be an AS number like AS64500"));
        }
    }

    private static void identifier(List<Violation> found, String path, Identifier identifier) {
        String hash = identifier.getHash();
        if (hash == null || hash.isEmpty() || hash.length() > Limits.MAX_IDENTIFIER_HASH_CHARS
                || !hash.chars().allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || "+/=:_.-".indexOf(c) >= 0))) {
            found.add(new Violation(path + ".hash", "must be 1-" + Limits.MAX_IDENTIFIER_HASH_CHARS
                    + " characters from A-Z a-z 0-9 + / = : _ . -"));
        }
    }

    private static void id(List<Violation> found, String field, String value) {
        if (found.isEmpty() && !Limits.isId(value)) {
            found.add(new Violation(field, "must be " + Limits.ID_RULE));
        }
    }

    private static void contentId(List<Violation> found, String field, String value) {
        if (found.isEmpty() && !Limits.isContentId(value)) {
            found.add(new Violation(field, "must be " + Limits.CONTENT_ID_RULE));
        }
    }

    private static void url(List<Violation> found, String field, String value) {
        String problem = Limits.urlProblem(value);
        if (found.isEmpty() && problem != null) {
            found.add(new Violation(field, problem));
        }
    }

    private static void text(List<Violation> found, String field, String value, int maxChars, boolean multiline) {
        if (!found.isEmpty()) {
            return;
        }
        if (value.length() > maxChars) {
            found.add(new Violation(field, "is longer than " + maxChars + " characters"));
            return;
        }
        String problem = Limits.textProblem(value, multiline);
        if (problem != null) {
            found.add(new Violation(field, problem));
        }
    }

    private static void instant(List<Violation> found, String field, Instant value, Instant now) {
        if (found.isEmpty() && !Limits.isInWindow(value, now)) {
            found.add(new Violation(field, "must not be before " + Limits.EARLIEST + " nor in the future"));
        }
    }
}
