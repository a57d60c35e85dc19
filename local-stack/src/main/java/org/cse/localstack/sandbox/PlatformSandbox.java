package org.cse.localstack.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sandbox of the platform's account-actions API, the protocol the enforcement service speaks:
 *
 * <pre>
 * POST /v1/accounts/{accountId}/actions
 * Authorization: Bearer {token}
 * Idempotency-Key: {actionId}
 * {"actionId", "decisionId", "type", "contentIds": [], "identifiers": [{"type","hash"}], "notifyUser", "reason"}
 *
 * 201 {"actionId", "status": "APPLIED"}                      first time a key is seen
 * 200 {"actionId", "status": "APPLIED"} + Idempotent-Replayed: true   same key again
 * 400 missing key or body, 401 bad token, 422 unknown action type or key/body mismatch
 * 429 / 5xx transient: retry with the same key
 * </pre>
 *
 * Records what it applied, and injects faults on demand: failing the next calls, or applying an
 * action and then losing the response (the case idempotency keys exist for).
 */
public final class PlatformSandbox extends SandboxServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PATH = Pattern.compile("^/v1/accounts/([^/]+)/actions$");
    private static final Set<String> TYPES = Set.of("SUSPEND_PERMANENTLY", "REMOVE_CONTENT", "BAN_IDENTIFIERS",
            "REQUIRE_REMOVAL", "TEMPORARY_LOCK", "REINSTATE_ACCOUNT", "UNBAN_IDENTIFIERS");

    /** One action the platform applied, and when it first arrived. */
    public record AppliedAction(String accountId, String actionId, String decisionId, String type,
                                List<String> contentIds, int identifierCount, Instant appliedAt) {}

    private final String token;
    private final Map<String, AppliedAction> byKey = new ConcurrentHashMap<>();
    private final List<AppliedAction> applied = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int failStatus = 503;
    private final AtomicInteger loseResponseNext = new AtomicInteger();

    public PlatformSandbox(String token) {
        super("platform-sandbox");
        this.token = token;
        route("/v1/accounts/", this::handle);
        route("/health", exchange -> respond(exchange, 200, "application/json", "{\"status\":\"UP\"}"));
        begin();
    }

    /** The next {@code count} calls fail with {@code status} and apply nothing. */
    public void failNext(int count, int status) {
        failStatus = status;
        failNext.set(count);
    }

    /** The next {@code count} calls are applied, but answered 502 as if the response was lost. */
    public void loseResponseNext(int count) {
        loseResponseNext.set(count);
    }

    /** Actions applied, once each, in order. */
    public List<AppliedAction> applied() {
        return List.copyOf(applied);
    }

    public List<AppliedAction> applied(String accountId) {
        return applied.stream().filter(action -> action.accountId().equals(accountId)).toList();
    }

    /** Every request received, replays and failures included. */
    public int requests() {
        return requests.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        if (!"POST".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, "application/json", error("method not allowed"));
            return;
        }
        Matcher path = PATH.matcher(exchange.getRequestURI().getPath());
        if (!path.matches()) {
            respond(exchange, 404, "application/json", error("no such resource"));
            return;
        }
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            respond(exchange, 401, "application/json", error("invalid token"));
            return;
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            if (failStatus == 429) {
                exchange.getResponseHeaders().set("Retry-After", "0");
            }
            respond(exchange, failStatus, "application/json", error("injected fault"));
            return;
        }
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        if (key == null || key.isBlank()) {
            respond(exchange, 400, "application/json", error("Idempotency-Key header required"));
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            respond(exchange, 400, "application/json", error("body is not JSON"));
            return;
        }
        String type = body.path("type").asText();
        if (!TYPES.contains(type)) {
            respond(exchange, 422, "application/json", error("unknown action type"));
            return;
        }
        if (!key.equals(body.path("actionId").asText())) {
            respond(exchange, 422, "application/json", error("Idempotency-Key does not match actionId"));
            return;
        }
        List<String> contentIds = new ArrayList<>();
        body.path("contentIds").forEach(node -> contentIds.add(node.asText()));
        AppliedAction action = new AppliedAction(path.group(1), key, body.path("decisionId").asText(), type,
                List.copyOf(contentIds), body.path("identifiers").size(), Instant.now());
        AppliedAction earlier = byKey.putIfAbsent(key, action);
        if (earlier == null) {
            applied.add(action);
        }
        if (loseResponseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            respond(exchange, 502, "application/json", error("injected lost response"));
            return;
        }
        if (earlier != null) {
            exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        respond(exchange, earlier == null ? 201 : 200, "application/json",
                JSON.createObjectNode().put("actionId", key).put("status", "APPLIED").toString());
    }

    private static String error(String message) {
        return JSON.createObjectNode().put("error", message).toString();
    }
}
