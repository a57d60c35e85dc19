package org.cse.escalation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Client of NCMEC's CyberTipline Reporting API ({@code /ispws}): HTTPS with Basic auth, XML in and out.
 * Every {@code submit} opens a NEW report (the API has no idempotency key), so callers must persist
 * the returned report id before any next step; see {@link EscalationHandler}. Responses are parsed
 * with DOCTYPEs and external entities disabled.
 */
public final class CyberTiplineClient {
    static final int ALREADY_RETRACTED = 5101;
    static final int ALREADY_FINISHED = 5102;

    private final URI baseUrl;
    private final String authorization;
    private final HttpClient http;
    private final Duration timeout;

    public CyberTiplineClient(URI baseUrl, String username, String password, Duration timeout) {
        this.baseUrl = URI.create(baseUrl.toString().replaceAll("/+$", "") + "/");
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** {@code POST /submit}: opens a report; returns NCMEC's report id. */
    public String submit(String reportXml) throws DeliveryException, InterruptedException {
        Document answer = call("submit", HttpRequest.newBuilder(baseUrl.resolve("submit"))
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(reportXml, StandardCharsets.UTF_8)));
        requireSuccess("submit", answer);
        String reportId = text(answer, "reportId");
        if (reportId == null) {
            throw new DeliveryException(-1, "submit succeeded without a reportId", true);
        }
        return reportId;
    }

    /** {@code POST /finish}: closes the report; a retried finish of a finished report counts as success. */
    public void finish(String reportId) throws DeliveryException, InterruptedException {
        Document answer = call("finish", form("finish", reportId));
        int code = responseCode(answer);
        if (code != 0 && code != ALREADY_FINISHED) {
            throw DeliveryException.ofCode("finish", code, text(answer, "responseDescription"));
        }
    }

    /** {@code POST /retract}: cancels an unfinished report; a retried retract counts as success. */
    public void retract(String reportId) throws DeliveryException, InterruptedException {
        Document answer = call("retract", form("retract", reportId));
        int code = responseCode(answer);
        if (code != 0 && code != ALREADY_RETRACTED) {
            throw DeliveryException.ofCode("retract", code, text(answer, "responseDescription"));
        }
    }

    /** {@code GET /status}: checks connectivity and credentials. */
    public void status() throws DeliveryException, InterruptedException {
        requireSuccess("status", call("status", HttpRequest.newBuilder(baseUrl.resolve("status")).GET()));
    }

    private HttpRequest.Builder form(String call, String reportId) {
        return HttpRequest.newBuilder(baseUrl.resolve(call))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("id=" + URLEncoder.encode(reportId, StandardCharsets.UTF_8)));
    }

    private Document call(String call, HttpRequest.Builder request) throws DeliveryException, InterruptedException {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.timeout(timeout).header("Authorization", authorization).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new DeliveryException(-1, call + " failed: " + e, true);
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new DeliveryException(2000, call + " refused credentials: HTTP " + status, false);
        }
        if (status != 200) {
            throw new DeliveryException(-1, call + " answered HTTP " + status, status >= 500 || status == 429 || status == 408);
        }
        try {
            return parse(response.body());
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new DeliveryException(-1, call + " answered unreadable XML: " + e.getMessage(), true);
        }
    }

    private static void requireSuccess(String call, Document answer) throws DeliveryException {
        int code = responseCode(answer);
        if (code != 0) {
            throw DeliveryException.ofCode(call, code, text(answer, "responseDescription"));
        }
    }

    private static int responseCode(Document answer) throws DeliveryException {
        String code = text(answer, "responseCode");
        try {
            return Integer.parseInt(code);
        } catch (NumberFormatException | NullPointerException e) {
            throw new DeliveryException(-1, "answer without a numeric responseCode", true);
        }
    }

    private static String text(Document document, String tag) {
        NodeList nodes = document.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    static Document parse(byte[] xml) throws ParserConfigurationException, SAXException, IOException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        var builder = factory.newDocumentBuilder();
        builder.setErrorHandler(null);
        return builder.parse(new ByteArrayInputStream(xml));
    }
}
