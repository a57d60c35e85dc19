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
import org.cse.events.ContentHash;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.NcmecFile;
import org.cse.events.Referral;
import org.cse.events.ThirdPartyUrl;
import org.cse.schemas.NcmecVocabulary;

/**
 * Builds the CyberTipline {@code <report>} for one decision, children in schema order (out-of-order
 * elements are rejected with 4100). Written by a real XML writer: user-supplied text (URLs) is
 * escaped, never concatenated, and made legal XML 1.0 whatever it holds: a character XML cannot carry
 * (a control character, a lone surrogate, U+FFFE) is replaced by U+FFFD and counted, and a carriage
 * return is written as a character reference so that it survives parsing. NCMEC never receives a
 * document it must refuse as malformed, so a legally required report is never lost to an encoding.
 */
public final class CyberTiplineReport {
    /** Made once: {@code XMLOutputFactory.newFactory()} looks its implementation up on the class path on every call. */
    private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();
    /** Who files the reports, and as which service; from configuration. */
    public record Reporter(String firstName, String lastName, String email, String espService) {}

    private CyberTiplineReport() {
    }

    /** The document, and how many characters had to be replaced to make it legal XML. */
    public record Built(String xml, int charactersReplaced) {}

    public static Built build(Decision decision, Referral referral, Reporter reporter, List<String> priorReportIds) {
        StringWriter out = new StringWriter();
        Doc doc;
        try {
            doc = new Doc(XML.createXMLStreamWriter(out));
            XMLStreamWriter xml = doc.xml;
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("report");

            xml.writeStartElement("incidentSummary");
            doc.element("incidentType", referral.getIncidentType());
            doc.element("platform", reporter.espService());
            if (referral.getEscalateToHighPriority() != null) {
                doc.element("escalateToHighPriority", referral.getEscalateToHighPriority());
            }
            List<String> annotations = referral.getReportAnnotations().stream().filter(NcmecVocabulary.REPORT_ANNOTATIONS::contains).toList();
            if (!annotations.isEmpty()) {
                xml.writeStartElement("reportAnnotations");
                for (String annotation : annotations) {
                    xml.writeEmptyElement(annotation);
                }
                xml.writeEndElement();
            }
            doc.element("incidentDateTime", iso(decision.getReportedAt()));
            xml.writeEndElement();

            for (ContentRef content : decision.getContent()) {
                if (content.getUrl() != null) {
                    doc.webPage(false, content.getUrl());
                }
            }
            for (ThirdPartyUrl url : decision.getThirdPartyUrls()) {
                doc.webPage(true, url.getUrl());
            }

            xml.writeStartElement("reporter");
            xml.writeStartElement("reportingPerson");
            doc.element("firstName", reporter.firstName());
            doc.element("lastName", reporter.lastName());
            doc.element("email", reporter.email());
            xml.writeEndElement();
            xml.writeEndElement();

            xml.writeStartElement("personOrUserReported");
            doc.element("espIdentifier", decision.getAccountId());
            doc.element("espService", reporter.espService());
            for (String prior : priorReportIds) {
                doc.element("priorCTReports", prior);
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

            doc.element("additionalInfo", "Decision " + decision.getDecisionId() + " under policy " + decision.getPolicyVersion()
                    + ", rule " + decision.getRuleId() + "; " + decision.getReportIds().size() + " report(s); content ids: "
                    + String.join(", ", decision.getContent().stream().map(ContentRef::getContentId).toList()));

            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write CyberTipline report for " + decision.getDecisionId(), e);
        }
        return new Built(out.toString(), doc.replaced);
    }

    /**
     * The {@code <fileDetails>} of one uploaded file, children in schema order. Everything in it comes
     * from the decision (never from the file): its original name and hashes, whether a reviewer saw it,
     * whether it was public, and the annotations the decision carries.
     */
    public static String fileDetails(String reportId, String fileId, NcmecFile file) {
        StringWriter out = new StringWriter();
        try {
            Doc doc = new Doc(XML.createXMLStreamWriter(out));
            XMLStreamWriter xml = doc.xml;
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("fileDetails");
            doc.element("reportId", reportId);
            doc.element("fileId", fileId);
            if (file.getFileName() != null) {
                doc.element("originalFileName", file.getFileName());
            }
            if (file.getUploadedAt() != null) {
                doc.element("uploadedToEspTimestamp", iso(file.getUploadedAt()));
            }
            doc.element("fileViewedByEsp", Boolean.toString(file.getViewedByEsp()));
            if (file.getPubliclyAvailable() != null) {
                doc.element("publiclyAvailable", Boolean.toString(file.getPubliclyAvailable()));
            }
            doc.element("fileRelevance", "Reported");
            if (file.getPotentialMeme()) {
                doc.element("potentialMeme", "true");
            }
            List<String> annotations = file.getAnnotations().stream().filter(NcmecVocabulary.FILE_ANNOTATIONS::contains).distinct().toList();
            if (!annotations.isEmpty()) {
                xml.writeStartElement("fileAnnotations");
                for (String annotation : annotations) {
                    xml.writeEmptyElement(annotation);
                }
                xml.writeEndElement();
            }
            for (ContentHash hash : file.getHashes()) {
                xml.writeStartElement("originalFileHash");
                xml.writeAttribute("hashType", hash.getAlgorithm());
                doc.text(hash.getValue());
                xml.writeEndElement();
            }
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write file details for file " + fileId, e);
        }
        return out.toString();
    }

    /** The writer and what it had to replace. */
    private static final class Doc {
        final XMLStreamWriter xml;
        int replaced;

        Doc(XMLStreamWriter xml) {
            this.xml = xml;
        }

        void webPage(boolean thirdParty, String url) throws XMLStreamException {
            xml.writeStartElement("internetDetails");
            xml.writeStartElement("webPageIncident");
            xml.writeAttribute("thirdPartyHostedContent", Boolean.toString(thirdParty));
            element("url", url);
            xml.writeEndElement();
            xml.writeEndElement();
        }

        void element(String name, String text) throws XMLStreamException {
            xml.writeStartElement(name);
            text(text == null ? "" : text);
            xml.writeEndElement();
        }

        /**
         * Text as legal XML 1.0: characters outside its Char production become U+FFFD (counted); a
         * carriage return is written as {@code &#13;}, which a parser keeps (a raw one it would turn
         * into a line feed).
         */
        void text(String text) throws XMLStreamException {
            StringBuilder legal = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                int width = Character.charCount(c);
                boolean pairedOrBmp = width == 2 || !Character.isSurrogate(text.charAt(i));
                if (c == '\r') {
                    xml.writeCharacters(legal.toString());
                    legal.setLength(0);
                    xml.writeEntityRef("#13");
                } else if (pairedOrBmp && (c == 0x9 || c == 0xA || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
                        || (c >= 0x10000 && c <= 0x10FFFF))) {
                    legal.appendCodePoint(c);
                } else {
                    legal.append('\uFFFD');
                    replaced++;
                }
                i += width;
            }
            xml.writeCharacters(legal.toString());
        }
    }

    private static String iso(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }
}
