package org.cse.localstack.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Reply;

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
    private final Map<String, Integer> refused = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requestsByKey = new ConcurrentHashMap<>();

    public PlatformSandbox(String token) {
        super("platform-sandbox");
        this.token = token;
        route("POST", "/v1/accounts/{}/actions", this::handle);
        route("GET", "/health", call -> respond(200, "application/json", "{\"status\":\"UP\"}"));
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

    /** Calls for this action id are refused with {@code status} (a 4xx: the request itself is wrong), until {@link #accept}. */
    public void refuse(String actionId, int status) {
        refused.put(actionId, status);
    }

    public void accept(String actionId) {
        refused.remove(actionId);
    }

    /** Calls received with this Idempotency-Key, replays and failures included. */
    public int requests(String actionId) {
        AtomicInteger count = requestsByKey.get(actionId);
        return count == null ? 0 : count.get();
    }

    /** Records an action as applied before, as if an earlier caller had sent it: a later call with its key is a replay. */
    public void appliedBefore(String accountId, String actionId, String decisionId, String type) {
        AppliedAction action = new AppliedAction(accountId, actionId, decisionId, type, List.of(), 0, Instant.now());
        if (byKey.putIfAbsent(actionId, action) == null) {
            applied.add(action);
        }
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

    private Reply handle(Call call) {
        requests.incrementAndGet();
        if (!("Bearer " + token).equals(call.header("Authorization"))) {
            return respond(401, "application/json", error("invalid token"));
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            Reply fault = respond(failStatus, "application/json", error("injected fault"));
            return failStatus == 429 ? fault.withHeader("Retry-After", "0") : fault;
        }
        String key = call.header("Idempotency-Key");
        if (key == null || key.isBlank()) {
            return respond(400, "application/json", error("Idempotency-Key header required"));
        }
        requestsByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Integer refusal = refused.get(key);
        if (refusal != null) {
            return respond(refusal, "application/json", error("account not actionable"));
        }
        JsonNode body;
        try {
            body = JSON.readTree(call.body());
        } catch (IOException e) {
            return respond(400, "application/json", error("body is not JSON"));
        }
        String type = body.path("type").asText();
        if (!TYPES.contains(type)) {
            return respond(422, "application/json", error("unknown action type"));
        }
        if (!key.equals(body.path("actionId").asText())) {
            return respond(422, "application/json", error("Idempotency-Key does not match actionId"));
        }
        List<String> contentIds = new ArrayList<>();
        body.path("contentIds").forEach(node -> contentIds.add(node.asText()));
        AppliedAction action = new AppliedAction(call.pathParam(), key, body.path("decisionId").asText(), type,
                List.copyOf(contentIds), body.path("identifiers").size(), Instant.now());
        AppliedAction earlier = byKey.putIfAbsent(key, action);
        if (earlier == null) {
            applied.add(action);
        }
        if (loseResponseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return respond(502, "application/json", error("injected lost response"));
        }
        Reply applied = respond(earlier == null ? 201 : 200, "application/json",
                JSON.createObjectNode().put("actionId", key).put("status", "APPLIED").toString());
        return earlier == null ? applied : applied.withHeader("Idempotent-Replayed", "true");
    }

    private static String error(String message) {
        return JSON.createObjectNode().put("error", message).toString();
    }
}
