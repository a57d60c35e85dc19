package org.cse.localstack.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Reply;

/**
 * Sandbox of the platform's evidence store, the protocol the escalation service speaks:
 *
 * <pre>
 * GET  /v1/content/{contentId}/file      Authorization: Bearer {token}
 *      200 the file's bytes (application/octet-stream); 404 unknown content
 * POST /v1/holds                          Authorization: Bearer {token}, Idempotency-Key: {holdId}
 *      {"holdId", "reportId", "contentIds": [], "until": ISO-8601}
 *      201 {"holdId"} the first time; 200 + Idempotent-Replayed: true for the same hold again
 * </pre>
 *
 * Files are made up from their content id (the same id always gives the same bytes, so a test can
 * check what NCMEC received); holds are recorded.
 */
public final class EvidenceStoreSandbox extends SandboxServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A preservation hold as the store holds it. */
    public record Hold(String holdId, String reportId, List<String> contentIds, Instant until, Instant placedAt) {}

    private final String authorization;
    private final int fileBytes;
    private final Set<String> missing = ConcurrentHashMap.newKeySet();
    private final Map<String, Hold> holds = new ConcurrentHashMap<>();
    private final List<Hold> placed = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();

    /** @param fileBytes the size of every file served */
    public EvidenceStoreSandbox(String token, int fileBytes) {
        super("evidence-store-sandbox");
        this.authorization = "Bearer " + token;
        this.fileBytes = fileBytes;
        route("GET", "/v1/content/{}/file", this::file);
        route("POST", "/v1/holds", this::hold);
        begin();
    }

    /** The bytes served for a content id. */
    public static byte[] file(String contentId, int size) {
        byte[] seed = sha256(contentId.getBytes(StandardCharsets.UTF_8));
        byte[] file = new byte[size];
        for (int i = 0; i < size; i++) {
            file[i] = (byte) (seed[i % seed.length] ^ (i * 31));
        }
        return file;
    }

    public byte[] file(String contentId) {
        return file(contentId, fileBytes);
    }

    /** The store no longer has this content: fetching it answers 404. */
    public void lose(String contentId) {
        missing.add(contentId);
    }

    public List<Hold> holds() {
        return List.copyOf(placed);
    }

    public int fetches() {
        return fetches.get();
    }

    private Reply file(Call call) {
        if (!authorization.equals(call.header("Authorization"))) {
            return respond(401, "application/json", "{\"error\":\"invalid token\"}");
        }
        fetches.incrementAndGet();
        String contentId = call.pathParam();
        if (missing.contains(contentId)) {
            return respond(404, "application/json", "{\"error\":\"no such content\"}");
        }
        return Reply.bytes(200, "application/octet-stream", file(contentId));
    }

    private Reply hold(Call call) throws IOException {
        if (!authorization.equals(call.header("Authorization"))) {
            return respond(401, "application/json", "{\"error\":\"invalid token\"}");
        }
        JsonNode body = JSON.readTree(call.body());
        String holdId = body == null ? "" : body.path("holdId").asText("");
        if (holdId.isEmpty() || !holdId.equals(call.header("Idempotency-Key")) || !body.path("contentIds").isArray()) {
            return respond(422, "application/json", "{\"error\":\"holdId, a matching Idempotency-Key and contentIds are required\"}");
        }
        Instant until;
        try {
            until = Instant.parse(body.path("until").asText(""));
        } catch (DateTimeParseException e) {
            return respond(422, "application/json", "{\"error\":\"until must be an ISO-8601 instant\"}");
        }
        List<String> contentIds = new ArrayList<>();
        body.path("contentIds").forEach(id -> contentIds.add(id.asText()));
        Hold hold = new Hold(holdId, body.path("reportId").asText(null), List.copyOf(contentIds), until, Instant.now());
        boolean first = holds.putIfAbsent(holdId, hold) == null;
        if (first) {
            placed.add(hold);
        }
        Reply answer = respond(first ? 201 : 200, "application/json", JSON.createObjectNode().put("holdId", holdId).toString());
        return first ? answer : answer.withHeader("Idempotent-Replayed", "true");
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** MD5 of bytes, as NCMEC reports it for an upload. */
    public static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
