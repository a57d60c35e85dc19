package org.cse.escalation;

import java.io.StringWriter;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ThirdPartyUrl;

/**
 * Builds the CyberTipline {@code <report>} for one decision, children in schema order (out-of-order
 * elements are rejected with 4100). Written by a real XML writer: user-supplied text (URLs) is
 * escaped, never concatenated.
 */
public final class CyberTiplineReport {
    /** Who files the reports, and as which service; from configuration. */
    public record Reporter(String firstName, String lastName, String email, String espService) {}

    private CyberTiplineReport() {
    }

    public static String build(Decision decision, Referral referral, Reporter reporter, List<String> priorReportIds) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("report");

            xml.writeStartElement("incidentSummary");
            element(xml, "incidentType", referral.getIncidentType());
            element(xml, "platform", reporter.espService());
            if (referral.getEscalateToHighPriority() != null) {
                element(xml, "escalateToHighPriority", referral.getEscalateToHighPriority());
            }
            if (!referral.getReportAnnotations().isEmpty()) {
                xml.writeStartElement("reportAnnotations");
                for (String annotation : referral.getReportAnnotations()) {
                    xml.writeEmptyElement(annotation);
                }
                xml.writeEndElement();
            }
            element(xml, "incidentDateTime", iso(decision.getReportedAt()));
            xml.writeEndElement();

            for (ContentRef content : decision.getContent()) {
                if (content.getUrl() != null) {
                    webPage(xml, false, content.getUrl());
                }
            }
            for (ThirdPartyUrl url : decision.getThirdPartyUrls()) {
                webPage(xml, true, url.getUrl());
            }

            xml.writeStartElement("reporter");
            xml.writeStartElement("reportingPerson");
            element(xml, "firstName", reporter.firstName());
            element(xml, "lastName", reporter.lastName());
            element(xml, "email", reporter.email());
            xml.writeEndElement();
            xml.writeEndElement();

            xml.writeStartElement("personOrUserReported");
            element(xml, "espIdentifier", decision.getAccountId());
            element(xml, "espService", reporter.espService());
            for (String prior : priorReportIds) {
                element(xml, "priorCTReports", prior);
            }
            if (decision.getActions().stream().map(Action::getType).anyMatch(ActionType.SUSPEND_PERMANENTLY::equals)) {
                xml.writeEmptyElement("accountPermanentlyDisabled");
                xml.writeAttribute("disabledDate", iso(decision.getDecidedAt()));
                xml.writeAttribute("userNotified", "false");
            } else if (decision.getActions().stream().map(Action::getType).anyMatch(ActionType.TEMPORARY_LOCK::equals)) {
                xml.writeEmptyElement("accountTemporarilyDisabled");
                xml.writeAttribute("disabledDate", iso(decision.getDecidedAt()));
                xml.writeAttribute("userNotified", "false");
            }
            xml.writeEndElement();

            element(xml, "additionalInfo", "Decision " + decision.getDecisionId() + " under policy " + decision.getPolicyVersion()
                    + ", rule " + decision.getRuleId() + "; " + decision.getReportIds().size() + " report(s); content ids: "
                    + String.join(", ", decision.getContent().stream().map(ContentRef::getContentId).toList()));

            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write CyberTipline report for " + decision.getDecisionId(), e);
        }
        return out.toString();
    }

    private static void webPage(XMLStreamWriter xml, boolean thirdParty, String url) throws XMLStreamException {
        xml.writeStartElement("internetDetails");
        xml.writeStartElement("webPageIncident");
        xml.writeAttribute("thirdPartyHostedContent", Boolean.toString(thirdParty));
        element(xml, "url", url);
        xml.writeEndElement();
        xml.writeEndElement();
    }

    private static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(text == null ? "" : text);
        xml.writeEndElement();
    }

    private static String iso(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
