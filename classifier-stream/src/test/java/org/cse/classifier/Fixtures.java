package org.cse.classifier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.cse.classifier.state.AccountState;
import org.cse.events.AccountEvent;
import org.cse.events.AccountEventType;
import org.cse.events.Appeal;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Exemption;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.Intent;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ThirdPartyUrl;
import org.cse.events.Verdict;

/** Records for the classifier's tests. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    private Fixtures() {
    }

    /** A history as Avro's own single-object encoder writes it, to compare the classifier's serializer with. */
    static byte[] avroBytes(AccountState state) {
        try {
            ByteBuffer buffer = AccountState.getEncoder().encode(state);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Report hashMatch(String reportId, String account, String contentId) {
        return Report.newBuilder()
                .setReportId(reportId).setAccountId(account)
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.HASH_MATCH).setMatchList("ncmec-verified-hashes")
                        .setMatchListVerified(true).build())
                .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.MEDIA)
                        .setHashes(List.of(new ContentHash("MD5", "d41d8cd98f00b204e9800998ecf8427e"))).build()))
                .setSourceService("test").setReportedAt(T0).setReceivedAt(T0.plusSeconds(1)).build();
    }

    static Report hashMatch(String reportId, String account, String contentId, Category claimed) {
        return Report.newBuilder(hashMatch(reportId, account, contentId)).setClaimedCategory(claimed).build();
    }

    static Report urlMatch(String reportId, String account, String contentId, String url, String country) {
        return Report.newBuilder(hashMatch(reportId, account, contentId))
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.URL_MATCH).setMatchList("iwf-url-list").setMatchListVerified(true).build())
                .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl(url).setHostingCountry(country).build()))
                .build();
    }

    static Report userReport(String reportId, String account, String contentId, Category claimed) {
        return Report.newBuilder()
                .setReportId(reportId).setAccountId(account)
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.SIGNED_IN_USER).setReporterId("u1").build())
                .setClaimedCategory(claimed)
                .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.POST).build()))
                .setSourceService("test").setReportedAt(T0).setReceivedAt(T0).build();
    }

    static Report classifierReport(String reportId, String account, String contentId, double score) {
        return Report.newBuilder(userReport(reportId, account, contentId, null))
                .setReporter(Reporter.newBuilder().setKind(ReporterKind.CLASSIFIER).setReporterId("model-1").setClassifierScore(score).build())
                .build();
    }

    static Verdict violation(String verdictId, String account, String reportId, Category category, Intent intent) {
        return Verdict.newBuilder().setVerdictId(verdictId).setAccountId(account).setReportId(reportId).setReviewerId("rev-1")
                .setViolation(true).setCategory(category).setIntent(intent).setDecidedAt(T0.plusSeconds(60)).build();
    }

    static Verdict exemption(String verdictId, String account, String reportId, Category category, Exemption exemption) {
        return Verdict.newBuilder().setVerdictId(verdictId).setAccountId(account).setReportId(reportId).setReviewerId("rev-1")
                .setViolation(false).setCategory(category).setExemption(exemption).setDecidedAt(T0.plusSeconds(60)).build();
    }

    static Appeal appeal(String appealId, String account, String decisionId, AppealStatus status) {
        return Appeal.newBuilder().setAppealId(appealId).setAccountId(account).setDecisionId(decisionId).setStatus(status)
                .setAt(T0.plusSeconds(3600)).build();
    }

    static AccountEvent created(String eventId, String account, String... emailHashes) {
        return AccountEvent.newBuilder().setEventId(eventId).setAccountId(account).setType(AccountEventType.CREATED).setAt(T0)
                .setIdentifiers(java.util.Arrays.stream(emailHashes).map(h -> new Identifier(IdentifierType.EMAIL, h)).toList())
                .build();
    }

    static AccountEvent priorStrike(String eventId, String account, Category category) {
        return AccountEvent.newBuilder().setEventId(eventId).setAccountId(account).setType(AccountEventType.PRIOR_STRIKE)
                .setCategory(category).setAt(T0.minusSeconds(86_400)).build();
    }
}
