package org.cse.enforcement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.cse.events.Action;
import org.cse.events.ActionCall;
import org.cse.events.ActionCommand;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.DeliveryResult;
import org.cse.events.Identifier;
import org.cse.runtime.delivery.CommandExecutor;
import org.cse.runtime.delivery.Outbound;
import org.cse.runtime.http.PathSegment;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;

/**
 * The platform's account-actions API as the executor calls it: {@code POST /v1/accounts/{id}/actions}
 * with the action id as {@code Idempotency-Key}, so a repeated call (a retry, a replay, a command
 * executed again after a crash) is applied once. A command's actions are called one after the other,
 * in order, and the first that does not succeed ends the command: the actions after it are reported
 * not attempted and keep their turn.
 */
final class PlatformCalls implements CommandExecutor.Calls<ActionCommand> {
    static final String CALL = "platform-action";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    private final HttpClient http;
    private final String baseUrl;
    private final String authorization;
    private final Duration timeout;
    private final Clock clock;

    PlatformCalls(HttpClient http, URI baseUrl, String token, Duration timeout, Clock clock) {
        this.http = http;
        this.baseUrl = baseUrl.toString().replaceAll("/+$", "") + "/";
        this.authorization = "Bearer " + token;
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public String accountOf(ActionCommand command) {
        return command.getAccountId();
    }

    @Override
    public CompletionStage<DeliveryResult> execute(ActionCommand command) {
        List<CallOutcome> outcomes = new ArrayList<>();
        CompletableFuture<Boolean> chain = CompletableFuture.completedFuture(true);
        for (ActionCall call : command.getCalls()) {
            chain = chain.thenCompose(goOn -> {
                if (!goOn) {
                    outcomes.add(Outbound.notAttempted(call.getAction().getActionId(), CALL));
                    return CompletableFuture.completedFuture(false);
                }
                return apply(command.getAccountId(), call).thenApply(outcome -> {
                    outcomes.add(outcome);
                    return outcome.getOutcome() == CallOutcomeKind.SUCCEEDED || outcome.getOutcome() == CallOutcomeKind.ALREADY_DONE;
                });
            });
        }
        return chain.thenApply(ignored -> result(command, outcomes));
    }

    @Override
    public DeliveryResult failed(ActionCommand command, Throwable failure) {
        List<CallOutcome> outcomes = new ArrayList<>();
        for (ActionCall call : command.getCalls()) {
            outcomes.add(outcomes.isEmpty() ? Outbound.failed(call.getAction().getActionId(), CALL,
                    failure == null ? new IllegalStateException("no result") : failure)
                    : Outbound.notAttempted(call.getAction().getActionId(), CALL));
        }
        return result(command, outcomes);
    }

    private DeliveryResult result(ActionCommand command, List<CallOutcome> outcomes) {
        return DeliveryResult.newBuilder().setCommandId(command.getCommandId()).setAccountId(command.getAccountId())
                .setOutcomes(outcomes).setAt(clock.instant()).build();
    }

    private CompletableFuture<CallOutcome> apply(String account, ActionCall call) {
        Action action = call.getAction();
        // one path segment, whatever the id holds: never resolved as '.' or '..' into another resource
        Request request = http.newRequest(baseUrl + "v1/accounts/" + PathSegment.encode(account) + "/actions")
                .method(HttpMethod.POST)
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(headers -> headers.put("Authorization", authorization).put("Idempotency-Key", action.getActionId()))
                .body(new StringRequestContent("application/json", body(call)));
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send()
                .thenApply(response -> outcome(action.getActionId(), response))
                .exceptionally(failure -> Outbound.failed(action.getActionId(), CALL, failure));
    }

    private CallOutcome outcome(String actionId, ContentResponse response) {
        int status = response.getStatus();
        if (status == 200 || status == 201) {
            boolean replayed = "true".equalsIgnoreCase(response.getHeaders().get("Idempotent-Replayed"));
            return CallOutcome.newBuilder().setItemId(actionId).setCall(CALL).setHttpStatus(status)
                    .setOutcome(replayed ? CallOutcomeKind.ALREADY_DONE : CallOutcomeKind.SUCCEEDED).build();
        }
        return Outbound.refused(actionId, CALL, status, response.getHeaders().get("Retry-After"),
                "HTTP " + status + errorCode(response), clock.instant()).build();
    }

    /** The platform's error code, bounded: never more than the API says about itself. */
    private static String errorCode(ContentResponse response) {
        try {
            JsonNode answer = JSON.readTree(response.getContent());
            String error = answer == null ? "" : answer.path("error").asText("");
            return error.isEmpty() ? "" : ": " + (error.length() > 120 ? error.substring(0, 120) : error);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    static String body(ActionCall call) {
        Action action = call.getAction();
        ObjectNode body = JSON.createObjectNode()
                .put("actionId", action.getActionId())
                .put("decisionId", call.getDecisionId())
                .put("type", action.getType().name())
                .put("notifyUser", action.getNotifyUser())
                .put("reason", call.getReason())
                .put("policyVersion", call.getPolicyVersion());
        ArrayNode content = body.putArray("contentIds");
        action.getContentIds().forEach(content::add);
        ArrayNode identifiers = body.putArray("identifiers");
        for (Identifier identifier : action.getIdentifierHashes()) {
            identifiers.addObject().put("type", identifier.getType().name()).put("hash", identifier.getHash());
        }
        return body.toString();
    }
}
