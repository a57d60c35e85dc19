package org.cse.localstack.sandbox;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.cse.runtime.SafeXml;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Reply;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Sandbox of NCMEC's CyberTipline Reporting API ({@code /ispws}): HTTP Basic auth, {@code POST /submit}
 * with a {@code <report>} (top-level elements checked for schema order, incident type and date
 * required), {@code /upload}, {@code /fileinfo}, {@code /finish}, {@code /retract}, {@code GET /status}.
 * Every submit opens a new report, as at NCMEC: there is no idempotency key. Records every report and
 * injects faults: response codes on the next calls of an endpoint, or a lost response after the work
 * was done.
 */
public final class CyberTiplineSandbox extends SandboxServer {
    /** The top-level children of {@code <report>}, in schema order. */
    public static final List<String> REPORT_ORDER = List.of("incidentSummary", "internetDetails", "lawEnforcement",
            "reporter", "personOrUserReported", "intendedRecipient", "victim", "additionalInfo");

    /** State of a report at the sandbox. */
    public enum Status { OPEN, FINISHED, RETRACTED }

    /** One uploaded file: its bytes' MD5 and size, and the file details sent for it (null until then). */
    public record StoredFile(String fileId, String fileName, String md5, int size, String fileDetails) {}

    /** One report as the sandbox holds it. */
    public static final class StoredReport {
        private final long id;
        private final String xml;
        private final List<String> fileIds = new ArrayList<>();
        private final Map<String, StoredFile> files = new java.util.LinkedHashMap<>();
        private volatile Status status = Status.OPEN;
        private volatile Instant finishedAt;

        StoredReport(long id, String xml) {
            this.id = id;
            this.xml = xml;
        }

        public long id() {
            return id;
        }

        public String xml() {
            return xml;
        }

        public Status status() {
            return status;
        }

        /** When the report was finished, or null while it is not. */
        public Instant finishedAt() {
            return finishedAt;
        }

        public synchronized List<String> fileIds() {
            return List.copyOf(fileIds);
        }

        /** Every file uploaded to the report, duplicates of a lost answer included, in upload order. */
        public synchronized List<StoredFile> files() {
            return List.copyOf(files.values());
        }
    }

    private record Fault(int remaining, int responseCode, boolean loseResponse) {}

    private final String authorization;
    private final AtomicLong nextReportId = new AtomicLong(100_000);
    private final AtomicLong nextFileId = new AtomicLong(1);
    private final Map<Long, StoredReport> reports = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    public CyberTiplineSandbox(String user, String password) {
        super("cybertipline-sandbox");
        this.authorization = basic(user, password);
        route("POST", "/ispws/submit", call -> guarded(call, "submit", this::submit));
        route("POST", "/ispws/upload", call -> guarded(call, "upload", this::upload));
        route("POST", "/ispws/fileinfo", call -> guarded(call, "fileinfo", this::fileInfo));
        route("POST", "/ispws/finish", call -> guarded(call, "finish", this::finish));
        route("POST", "/ispws/retract", call -> guarded(call, "retract", this::retract));
        route("GET", "/ispws/status", call -> guarded(call, "status", c -> response(0, "Success", null)));
        begin();
    }

    /** The API root the client is configured with, like {@code https://exttest.cybertip.org/ispws}. */
    public String apiUrl() {
        return baseUrl() + "/ispws";
    }

    /** The next {@code count} calls to {@code endpoint} (submit, finish, ...) answer {@code responseCode}, doing nothing. */
    public void failNext(String endpoint, int count, int responseCode) {
        faults.put(endpoint, new Fault(count, responseCode, false));
    }

    /** The next {@code count} calls to {@code endpoint} do their work, then answer HTTP 502 as if the answer was lost. */
    public void loseResponseNext(String endpoint, int count) {
        faults.put(endpoint, new Fault(count, 0, true));
    }

    public List<StoredReport> reports() {
        return reports.values().stream().sorted((a, b) -> Long.compare(a.id, b.id)).toList();
    }

    public List<StoredReport> finishedReports() {
        return reports().stream().filter(report -> report.status == Status.FINISHED).toList();
    }

    public int calls(String endpoint) {
        return calls.computeIfAbsent(endpoint, key -> new AtomicInteger()).get();
    }

    private interface Api {
        String handle(Call call);
    }

    private Reply guarded(Call call, String endpoint, Api handler) {
        calls.computeIfAbsent(endpoint, key -> new AtomicInteger()).incrementAndGet();
        if (!authorization.equals(call.header("Authorization"))) {
            return respond(401, "application/xml", response(2000, "Authentication Required", null))
                    .withHeader("WWW-Authenticate", "Basic realm=\"ispws\"");
        }
        Fault fault = faults.computeIfPresent(endpoint, (key, f) -> f.remaining <= 0 ? null : f);
        if (fault != null && fault.remaining > 0) {
            faults.put(endpoint, new Fault(fault.remaining - 1, fault.responseCode, fault.loseResponse));
            if (!fault.loseResponse) {
                return respond(200, "application/xml", response(fault.responseCode, "Injected fault", null));
            }
            handler.handle(call);
            return respond(502, "text/plain", "Bad Gateway");
        }
        return respond(200, "application/xml", handler.handle(call));
    }

    private String submit(Call call) {
        byte[] body = call.body();
        Document document;
        try {
            document = parse(body);
        } catch (Exception e) {
            return response(4110, "Malformed XML", null);
        }
        Element root = document.getDocumentElement();
        if (!"report".equals(root.getTagName())) {
            return response(4100, "Validation failed: root element must be report", null);
        }
        int lastIndex = -1;
        for (Node child = root.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child.getNodeType() != Node.ELEMENT_NODE) {
                continue;
            }
            int index = REPORT_ORDER.indexOf(child.getNodeName());
            if (index < 0 || index < lastIndex) {
                return response(4100, "Validation failed: element " + child.getNodeName() + " out of schema order", null);
            }
            lastIndex = index;
        }
        if (text(root, "incidentType") == null || text(root, "incidentDateTime") == null) {
            return response(4100, "Validation failed: incidentType and incidentDateTime are required", null);
        }
        if (root.getElementsByTagName("reporter").getLength() != 1 || text(root, "email") == null) {
            return response(4100, "Validation failed: reporter with an email is required", null);
        }
        long id = nextReportId.getAndIncrement();
        reports.put(id, new StoredReport(id, new String(body, StandardCharsets.UTF_8)));
        return response(0, "Success", "<reportId>" + id + "</reportId>");
    }

    private String upload(Call call) {
        String boundary = MultiPart.extractBoundary(call.header("Content-Type"));
        if (boundary == null) {
            return response(4000, "Invalid request: multipart/form-data expected", null);
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setMaxMemoryFileSize(MAX_BODY);
        parser.setMaxLength(MAX_BODY);
        String reportId;
        byte[] file;
        String fileName;
        try (MultiPartFormData.Parts parts = parser.parse(Content.Source.from(ByteBuffer.wrap(call.body()))).get()) {
            MultiPart.Part idPart = parts.getFirst("id");
            MultiPart.Part filePart = parts.getFirst("file");
            reportId = idPart == null ? null : idPart.getContentAsString(StandardCharsets.UTF_8);
            if (filePart == null) {
                return response(4000, "Invalid request: file part missing", null);
            }
            ByteBuffer bytes = Content.Source.asByteBuffer(filePart.createContentSource());
            file = new byte[bytes.remaining()];
            bytes.get(file);
            fileName = filePart.getFileName();
        } catch (Exception e) {
            return response(4200, "Malformed file: the multipart body cannot be read", null);
        }
        StoredReport report = report(reportId);
        if (report == null) {
            return response(5001, "No such report", null);
        }
        if (report.status != Status.OPEN) {
            return response(1300, "Update failed: report is " + report.status, null);
        }
        String fileId = Long.toString(nextFileId.getAndIncrement());
        String md5 = md5(file);
        synchronized (report) {
            report.fileIds.add(fileId);
            report.files.put(fileId, new StoredFile(fileId, fileName, md5, file.length, null));
        }
        return response(0, "Success", "<reportId>" + report.id + "</reportId><fileId>" + fileId + "</fileId><hash>" + md5 + "</hash>");
    }

    private String fileInfo(Call call) {
        try {
            Document document = parse(call.body());
            StoredReport report = report(text(document.getDocumentElement(), "reportId"));
            if (report == null) {
                return response(5001, "No such report", null);
            }
            String fileId = text(document.getDocumentElement(), "fileId");
            if (!report.fileIds().contains(fileId)) {
                return response(5002, "No such file", null);
            }
            if (report.status != Status.OPEN) {
                return response(1300, "Update failed: report is " + report.status, null);
            }
            synchronized (report) {
                StoredFile stored = report.files.get(fileId);
                report.files.put(fileId, new StoredFile(fileId, stored.fileName(), stored.md5(), stored.size(),
                        new String(call.body(), StandardCharsets.UTF_8)));
            }
            return response(0, "Success", "<reportId>" + report.id + "</reportId>");
        } catch (Exception e) {
            return response(4110, "Malformed XML", null);
        }
    }

    private String finish(Call call) {
        StoredReport report = report(form(call).get("id"));
        if (report == null) {
            return response(5001, "No such report", null);
        }
        synchronized (report) {
            if (report.status == Status.FINISHED) {
                return response(5102, "Report already finished", null);
            }
            if (report.status == Status.RETRACTED) {
                return response(5101, "Report already retracted", null);
            }
            report.finishedAt = Instant.now();
            report.status = Status.FINISHED;
        }
        StringBuilder files = new StringBuilder("<files>");
        report.fileIds().forEach(fileId -> files.append("<fileId>").append(fileId).append("</fileId>"));
        files.append("</files>");
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><reportDoneResponse><responseCode>0</responseCode>"
                + "<reportId>" + report.id + "</reportId>" + files + "</reportDoneResponse>";
    }

    private String retract(Call call) {
        StoredReport report = report(form(call).get("id"));
        if (report == null) {
            return response(5001, "No such report", null);
        }
        synchronized (report) {
            if (report.status == Status.FINISHED) {
                return response(5102, "Report already finished", null);
            }
            if (report.status == Status.RETRACTED) {
                return response(5101, "Report already retracted", null);
            }
            report.status = Status.RETRACTED;
        }
        return response(0, "Success", "<reportId>" + report.id + "</reportId>");
    }

    private StoredReport report(String id) {
        try {
            return id == null ? null : reports.get(Long.parseLong(id.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Map<String, String> form(Call call) {
        String body = new String(call.body(), StandardCharsets.UTF_8);
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static String response(int code, String description, String extra) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><reportResponse><responseCode>" + code
                + "</responseCode><responseDescription>" + description.replace("&", "&amp;").replace("<", "&lt;")
                + "</responseDescription>" + (extra == null ? "" : extra) + "</reportResponse>";
    }

    static Document parse(byte[] xml) throws Exception {
        return SafeXml.parse(xml);
    }

    private static String text(Element root, String tag) {
        var nodes = root.getElementsByTagName(tag);
        if (nodes.getLength() == 0) {
            return null;
        }
        String text = nodes.item(0).getTextContent();
        return text == null || text.isBlank() ? null : text.trim();
    }

    private static String md5(byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
