package org.cse.localstack.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

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
        route("/referrals", this::handle);
        begin();
    }

    public void failNext(int count) {
        failNext.set(count);
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            respond(exchange, 401, "application/json", "{\"error\":\"invalid token\"}");
            return;
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            respond(exchange, 503, "application/json", "{\"error\":\"injected fault\"}");
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            respond(exchange, 400, "application/json", "{\"error\":\"body is not JSON\"}");
            return;
        }
        String reference = body.path("reference").asText();
        if (reference.isEmpty() || !body.path("urls").isArray()) {
            respond(exchange, 422, "application/json", "{\"error\":\"reference and urls required\"}");
            return;
        }
        List<String> urls = new java.util.ArrayList<>();
        body.path("urls").forEach(url -> urls.add(url.path("url").asText()));
        Received referral = new Received(reference, body.path("hostingCountry").asText(), List.copyOf(urls));
        boolean first = byReference.putIfAbsent(reference, referral) == null;
        if (first) {
            received.add(referral);
        }
        respond(exchange, first ? 201 : 200, "application/json", JSON.createObjectNode().put("reference", reference).toString());
    }
}
