package org.cse.escalation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.ContentHash;
import org.cse.events.NcmecFile;
import org.cse.events.ReferralCommand;
import org.cse.events.ReferralStep;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.EvidenceStoreSandbox;
import org.cse.runtime.delivery.Outbound;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The production calls against the sandboxes that speak NCMEC's and the evidence store's protocols. */
class ReferralCallsTest {
    private static final int FILE_BYTES = 200_000;
    private CyberTiplineSandbox ncmec;
    private EvidenceStoreSandbox evidence;
    private HttpClient http;
    private ReferralCalls calls;

    @BeforeEach
    void start() {
        ncmec = new CyberTiplineSandbox("user", "password");
        evidence = new EvidenceStoreSandbox("evidence-token", FILE_BYTES);
        http = Outbound.client("referral-calls-test", 16, Duration.ofSeconds(5));
        calls = new ReferralCalls(http, new ReferralCalls.Endpoints(URI.create(ncmec.apiUrl()), "user", "password",
                URI.create(evidence.baseUrl()), "evidence-token", Map.of(), null, ""), Duration.ofSeconds(10), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        Outbound.stop(http);
        ncmec.close();
        evidence.close();
    }

    @Test
    void aFileIsStreamedFromTheEvidenceStoreIntoTheReportDescribedAndTheReportFinished() throws Exception {
        String reportId = outcome(command(ReferralStep.SUBMIT).setReportXml(CyberTiplineReport.build(
                CyberTiplineReportTest.decision("https://platform.invalid/p/1"), CyberTiplineReportTest.ncmec(),
                CyberTiplineReportTest.REPORTER, List.of()).xml())).getExternalId();
        assertThat(reportId).isNotNull();

        CallOutcome file = outcome(command(ReferralStep.FILE).setReportId(reportId).setFile(NcmecFile.newBuilder()
                .setContentId("media-1").setFileName("image.jpg").setViewedByEsp(true).setPubliclyAvailable(false)
                .setHashes(List.of(new ContentHash("MD5", "0123456789abcdef0123456789abcdef"))).build()));
        assertThat(file.getOutcome()).as(file.getError()).isEqualTo(CallOutcomeKind.SUCCEEDED);
        CallOutcome finish = outcome(command(ReferralStep.FINISH).setReportId(reportId));
        assertThat(finish.getOutcome()).isEqualTo(CallOutcomeKind.SUCCEEDED);

        CyberTiplineSandbox.StoredReport report = ncmec.finishedReports().get(0);
        assertThat(report.files()).hasSize(1);
        CyberTiplineSandbox.StoredFile stored = report.files().get(0);
        assertThat(stored.fileId()).isEqualTo(file.getFileId());
        assertThat(stored.size()).isEqualTo(FILE_BYTES);
        assertThat(stored.md5()).isEqualTo(EvidenceStoreSandbox.md5(evidence.file("media-1")));
        assertThat(stored.fileName()).isEqualTo("image.jpg");
        assertThat(stored.fileDetails()).contains("<fileViewedByEsp>true</fileViewedByEsp>")
                .contains("<publiclyAvailable>false</publiclyAvailable>");
    }

    @Test
    void aFileTheEvidenceStoreDoesNotHaveIsRefusedNotUploaded() throws Exception {
        String reportId = outcome(command(ReferralStep.SUBMIT).setReportXml(CyberTiplineReport.build(
                CyberTiplineReportTest.decision("https://platform.invalid/p/1"), CyberTiplineReportTest.ncmec(),
                CyberTiplineReportTest.REPORTER, List.of()).xml())).getExternalId();
        evidence.lose("media-gone");

        CallOutcome file = outcome(command(ReferralStep.FILE).setReportId(reportId).setFile(NcmecFile.newBuilder()
                .setContentId("media-gone").build()));
        assertThat(file.getOutcome()).isEqualTo(CallOutcomeKind.PERMANENT);
        assertThat(file.getError()).contains("evidence store answered HTTP 404");
        assertThat(ncmec.reports().get(0).files()).isEmpty();
    }

    private CallOutcome outcome(ReferralCommand.Builder command) throws Exception {
        return calls.execute(command.build()).toCompletableFuture().get(30, TimeUnit.SECONDS).getOutcomes().get(0);
    }

    private static ReferralCommand.Builder command(ReferralStep step) {
        return ReferralCommand.newBuilder().setCommandId("cmd-" + step).setAccountId("acct-1").setReferralId("dec-1/NCMEC")
                .setStep(step).setIssuedAt(Instant.now());
    }
}
