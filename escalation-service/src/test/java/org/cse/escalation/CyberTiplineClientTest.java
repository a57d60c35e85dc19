package org.cse.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CyberTiplineClientTest {
    private final CyberTiplineSandbox ncmec = new CyberTiplineSandbox("esp-user", "esp-pass");
    private final CyberTiplineClient client = client("esp-pass");

    @AfterEach
    void stop() {
        ncmec.close();
    }

    @Test
    void submitsAndFinishesAReport() throws Exception {
        String reportId = client.submit(xml());
        client.finish(reportId);

        assertThat(ncmec.finishedReports()).extracting(r -> Long.toString(r.id())).containsExactly(reportId);
    }

    @Test
    void aRetriedFinishOfAFinishedReportCountsAsSuccess() throws Exception {
        String reportId = client.submit(xml());
        client.finish(reportId);
        client.finish(reportId);

        assertThat(ncmec.finishedReports()).hasSize(1);
    }

    @Test
    void badCredentialsAreAFinalRefusal() {
        assertThatThrownBy(() -> client("wrong").submit(xml()))
                .isInstanceOfSatisfying(DeliveryException.class, e -> {
                    assertThat(e.responseCode()).isEqualTo(2000);
                    assertThat(e.isTransient()).isFalse();
                });
    }

    @Test
    void serverErrorsAreTransientAndValidationErrorsAreNot() {
        ncmec.failNext("submit", 1, 1000);
        assertThatThrownBy(() -> client.submit(xml())).isInstanceOfSatisfying(DeliveryException.class,
                e -> assertThat(e.isTransient()).isTrue());
        assertThatThrownBy(() -> client.submit("<report><reporter/><incidentSummary/></report>"))
                .isInstanceOfSatisfying(DeliveryException.class, e -> {
                    assertThat(e.responseCode()).isEqualTo(4100);
                    assertThat(e.isTransient()).isFalse();
                });
    }

    @Test
    void retractCancelsAnUnfinishedReport() throws Exception {
        String reportId = client.submit(xml());
        client.retract(reportId);
        client.retract(reportId);

        assertThat(ncmec.reports().get(0).status()).isEqualTo(CyberTiplineSandbox.Status.RETRACTED);
    }

    @Test
    void responsesWithExternalEntitiesAreRefused() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><reportResponse>&x;</reportResponse>";
        assertThatThrownBy(() -> CyberTiplineClient.parse(xxe.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("DOCTYPE");
    }

    private CyberTiplineClient client(String password) {
        return new CyberTiplineClient(URI.create(ncmec.apiUrl()), "esp-user", password, Duration.ofSeconds(2));
    }

    private static String xml() {
        return CyberTiplineReport.build(CyberTiplineReportTest.decision("https://example.invalid/x"),
                CyberTiplineReportTest.ncmec(), CyberTiplineReportTest.REPORTER, List.of()).xml();
    }
}
