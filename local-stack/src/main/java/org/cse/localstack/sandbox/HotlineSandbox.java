package org.cse.localstack.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Reply;

/**
 * Sandbox of an INHOPE member hotline's referral intake: {@code POST /referrals} (JSON, bearer token,
 * {@code Idempotency-Key}). Records each referral once by reference; fails the next calls on demand.
 */
public final class HotlineSandbox extends SandboxServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A referral as the hotline received it. */
    public record Received(String reference, String hostingCountry, List<String> urls) {}

    private final String token;
    private final Map<String, Received> byReference = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failNext = new AtomicInteger();

    public HotlineSandbox(String token) {
        super("hotline-sandbox");
        this.token = token;
        route("POST", "/referrals", this::handle);
        begin();
    }

    public void failNext(int count) {
        failNext.set(count);
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    private Reply handle(Call call) {
        if (!("Bearer " + token).equals(call.header("Authorization"))) {
            return respond(401, "application/json", "{\"error\":\"invalid token\"}");
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return respond(503, "application/json", "{\"error\":\"injected fault\"}");
        }
        JsonNode body;
        try {
            body = JSON.readTree(call.body());
        } catch (IOException e) {
            return respond(400, "application/json", "{\"error\":\"body is not JSON\"}");
        }
        String reference = body.path("reference").asText();
        if (reference.isEmpty() || !body.path("urls").isArray()) {
            return respond(422, "application/json", "{\"error\":\"reference and urls required\"}");
        }
        List<String> urls = new java.util.ArrayList<>();
        body.path("urls").forEach(url -> urls.add(url.path("url").asText()));
        Received referral = new Received(reference, body.path("hostingCountry").asText(), List.copyOf(urls));
        boolean first = byReference.putIfAbsent(reference, referral) == null;
        if (first) {
            received.add(referral);
        }
        return respond(first ? 201 : 200, "application/json", JSON.createObjectNode().put("reference", reference).toString());
    }
}
