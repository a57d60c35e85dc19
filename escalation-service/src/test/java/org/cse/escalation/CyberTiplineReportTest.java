package org.cse.escalation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.NcmecFile;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.ThirdPartyUrl;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

class CyberTiplineReportTest {
    static final CyberTiplineReport.Reporter REPORTER = new CyberTiplineReport.Reporter("Trust", "Safety", "cse@platform.invalid", "Platform");

    @Test
    void topLevelElementsFollowTheSchemaOrder() throws Exception {
        Document xml = parse(CyberTiplineReport.build(decision("https://example.invalid/a?x=1&y=<2>"), ncmec(), REPORTER, List.of("777")).xml());

        List<String> names = children(xml.getDocumentElement());
        List<String> expectedOrder = new ArrayList<>(CyberTiplineSandbox.REPORT_ORDER);
        expectedOrder.retainAll(names);
        assertThat(names.stream().distinct().toList()).isEqualTo(expectedOrder);
        assertThat(names.get(0)).isEqualTo("incidentSummary");
        assertThat(children((Element) xml.getElementsByTagName("incidentSummary").item(0)))
                .containsExactly("incidentType", "platform", "escalateToHighPriority", "reportAnnotations", "incidentDateTime");
    }

    @Test
    void carriesIncidentTypeAnnotationsTheAccountAndPriorReports() throws Exception {
        Document xml = parse(CyberTiplineReport.build(decision("https://example.invalid/a"), ncmec(), REPORTER, List.of("777")).xml());

        assertThat(text(xml, "incidentType")).isEqualTo("Online Enticement of Children for Sexual Acts");
        assertThat(xml.getElementsByTagName("sextortion").getLength()).isEqualTo(1);
        assertThat(text(xml, "incidentDateTime")).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(text(xml, "espIdentifier")).isEqualTo("acct-1");
        assertThat(text(xml, "priorCTReports")).isEqualTo("777");
        assertThat(text(xml, "email")).isEqualTo("cse@platform.invalid");
        assertThat(((Element) xml.getElementsByTagName("accountPermanentlyDisabled").item(0)).getAttribute("disabledDate"))
                .isEqualTo("2026-11-25T10:00:05Z");
        assertThat(((Element) xml.getElementsByTagName("webPageIncident").item(1)).getAttribute("thirdPartyHostedContent"))
                .isEqualTo("true");
    }

    @Test
    void userSuppliedUrlsAreEscapedNotInjected() throws Exception {
        String hostile = "https://evil.invalid/</url><incidentType>Spam</incidentType><url>";
        String raw = CyberTiplineReport.build(decision(hostile), ncmec(), REPORTER, List.of()).xml();

        Document xml = parse(raw);
        assertThat(xml.getElementsByTagName("incidentType").getLength()).isEqualTo(1);
        assertThat(xml.getElementsByTagName("url").item(1).getTextContent()).isEqualTo(hostile);
    }

    @Test
    void charactersXmlCannotCarryAreReplacedAndCountedSoTheDocumentAlwaysParses() throws Exception {
        String hostile = "https://evil.invalid/\u0000a\u0001b\u001b\u0007\ufffe\ud800c\rd";
        Decision decision = Decision.newBuilder(decision(hostile)).setAccountId("acct-\u0000\udfff").build();

        CyberTiplineReport.Built built = CyberTiplineReport.build(decision, ncmec(), REPORTER, List.of());

        Document xml = parse(built.xml());
        assertThat(xml.getElementsByTagName("url").item(1).getTextContent())
                .isEqualTo("https://evil.invalid/\ufffda\ufffdb\ufffd\ufffd\ufffd\ufffdc\rd");
        assertThat(text(xml, "espIdentifier")).isEqualTo("acct-\ufffd\ufffd");
        assertThat(built.charactersReplaced()).isEqualTo(8);
    }

    @Test
    void aLegalDocumentHasNothingReplaced() {
        assertThat(CyberTiplineReport.build(decision("https://example.invalid/\u00e9t\u00e9/\ud83d\ude00"), ncmec(), REPORTER, List.of())
                .charactersReplaced()).isZero();
    }

    static Decision decision(String thirdPartyUrl) {
        return Decision.newBuilder()
                .setDecisionId("dec-1").setIncidentId("inc-1").setAccountId("acct-1")
                .setPolicyVersion("v1").setRuleId("confirmed-malicious").setReason("r")
                .setReportIds(List.of("r1"))
                .setReportedAt(Instant.parse("2026-11-25T10:00:00Z")).setDecidedAt(Instant.parse("2026-11-25T10:00:05Z"))
                .setKnowledgeAt(Instant.parse("2026-11-25T10:00:01Z"))
                .setActions(List.of(Action.newBuilder().setActionId("dec-1/SUSPEND_PERMANENTLY").setType(ActionType.SUSPEND_PERMANENTLY).build()))
                .setReferrals(List.of(ncmec()))
                .setContent(List.of(ContentRef.newBuilder().setContentId("post-1").setKind(ContentKind.POST)
                        .setUrl("https://platform.invalid/p/1").build()))
                .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl(thirdPartyUrl).setHostingCountry("NL").build()))
                .build();
    }

    @Test
    void fileDetailsFollowTheSchemaOrderAndSayWhatTheDecisionKnows() throws Exception {
        NcmecFile file = NcmecFile.newBuilder().setContentId("media-1").setFileName("img\u0001.jpg").setViewedByEsp(true)
                .setPubliclyAvailable(false).setPotentialMeme(true).setAnnotations(List.of("generativeAi", "potentialMeme"))
                .setHashes(List.of(new ContentHash("MD5", "5d41402abc4b2a76b9719d911017c592")))
                .setUploadedAt(java.time.Instant.parse("2026-11-01T10:00:00Z")).build();

        Element details = parse(CyberTiplineReport.fileDetails("100001", "7", file)).getDocumentElement();

        assertThat(children(details)).containsExactly("reportId", "fileId", "originalFileName", "uploadedToEspTimestamp", "fileViewedByEsp",
                "publiclyAvailable", "fileRelevance", "potentialMeme", "fileAnnotations", "originalFileHash");
        assertThat(details.getElementsByTagName("originalFileName").item(0).getTextContent()).isEqualTo("img\uFFFD.jpg");
        assertThat(children((Element) details.getElementsByTagName("fileAnnotations").item(0))).containsExactly("generativeAi",
                "potentialMeme");
        assertThat(((Element) details.getElementsByTagName("originalFileHash").item(0)).getAttribute("hashType")).isEqualTo("MD5");
        assertThat(details.getElementsByTagName("fileViewedByEsp").item(0).getTextContent()).isEqualTo("true");
    }

    static Referral ncmec() {
        return Referral.newBuilder().setReferralId("dec-1/NCMEC").setTarget(ReferralTarget.NCMEC)
                .setIncidentType("Online Enticement of Children for Sexual Acts").setReportAnnotations(List.of("sextortion"))
                .setEscalateToHighPriority("sextortion").build();
    }

    private static Document parse(String xml) throws Exception {
        return ReferralCalls.parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> children(Element element) {
        List<String> names = new ArrayList<>();
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child.getNodeType() == Node.ELEMENT_NODE) {
                names.add(child.getNodeName());
            }
        }
        return names;
    }

    private static String text(Document xml, String tag) {
        return xml.getElementsByTagName(tag).item(0).getTextContent();
    }
}
