package org.cse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The services' operator APIs: the classifier's account lookup, the delivery lookups and replays of
 * enforcement and escalation. Each call carries the operator's own token, so the services audit the
 * person, not the tool.
 */
final class Services {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final OpsSettings settings;

    Services(OpsSettings settings) {
        this.settings = settings;
    }

    /** One answer: its status and JSON body. */
    record Answer(int status, JsonNode body) {}

    /** Account, strikes and incidents from the classifier; actions and referrals from the two delivery services. */
    ObjectNode account(String accountId, String token) {
        ObjectNode view = JsonNodeFactory.instance.objectNode();
        view.put("accountId", accountId);
        String path = URLEncoder.encode(accountId, StandardCharsets.UTF_8);
        view.set("classifier", found(call("classifier", "GET", "/v1/accounts/" + path, null, token)));
        view.set("actions", items(call("enforcement", "GET", "/v1/deliveries/" + path, null, token)));
        view.set("referrals", items(call("escalation", "GET", "/v1/deliveries/" + path, null, token)));
        return view;
    }

    private static JsonNode found(Answer answer) {
        return answer.status() == 404 ? JsonNodeFactory.instance.nullNode() : answer.body();
    }

    private static JsonNode items(Answer answer) {
        return answer.status() == 404 ? JsonNodeFactory.instance.arrayNode() : answer.body().path("items");
    }

    /** Asks the service holding each parked item of the account (or just {@code itemId}) to replay it. */
    List<ObjectNode> replayParked(String accountId, String itemId, String token) {
        List<ObjectNode> replayed = new ArrayList<>();
        String path = "/v1/deliveries/" + URLEncoder.encode(accountId, StandardCharsets.UTF_8);
        for (String service : List.of("enforcement", "escalation")) {
            Answer lookup = call(service, "GET", path, null, token);
            if (lookup.status() == 404) {
                continue;
            }
            for (JsonNode item : lookup.body().path("items")) {
                String id = item.path("itemId").asText();
                if ("PARKED".equals(item.path("status").asText()) && (itemId == null || itemId.equals(id))) {
                    ObjectNode body = JsonNodeFactory.instance.objectNode().put("itemId", id);
                    Answer answer = call(service, "POST", path + "/replay", body.toString(), token);
                    ObjectNode result = JsonNodeFactory.instance.objectNode();
                    result.put("service", service).put("itemId", id).put("kind", item.path("kind").asText())
                            .put("lastHttpStatus", item.path("lastHttpStatus").asText(null))
                            .put("lastError", item.path("lastError").asText(null))
                            .put("status", answer.body().path("status").asText(answer.body().path("code").asText()));
                    replayed.add(result);
                }
            }
        }
        return replayed;
    }

    Answer call(String service, String method, String path, String body, String token) {
        URI root = settings.services().get(service);
        if (root == null) {
            throw new OpsFailure(OpsFailure.Exit.USAGE, "set CSE_" + service.toUpperCase(java.util.Locale.ROOT)
                    + "_URL to the " + service + " service's API root");
        }
        if (token == null || token.isEmpty()) {
            throw new OpsFailure(OpsFailure.Exit.CREDENTIAL_REFUSED, "set CSE_OPS_TOKEN to your operator token");
        }
        URI uri = URI.create(root.toString().replaceAll("/+$", "") + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        request = body == null ? request.GET() : request.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new OpsFailure(OpsFailure.Exit.SERVICE_UNREACHABLE, "the " + service + " service cannot be reached at " + root);
        } catch (HttpTimeoutException e) {
            throw new OpsFailure(OpsFailure.Exit.SERVICE_UNREACHABLE, "the " + service + " service did not answer in time at " + root);
        } catch (IOException e) {
            throw new OpsFailure(OpsFailure.Exit.SERVICE_UNREACHABLE, "the " + service + " service at " + root + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpsFailure(OpsFailure.Exit.FAILED, "interrupted");
        }
        JsonNode json;
        try {
            json = response.body().isEmpty() ? JsonNodeFactory.instance.objectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            json = JsonNodeFactory.instance.objectNode().put("message", "not JSON (HTTP " + response.statusCode() + ")");
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new OpsFailure(OpsFailure.Exit.CREDENTIAL_REFUSED, "the " + service + " service refused the operator token (HTTP "
                    + response.statusCode() + ")");
        }
        if (response.statusCode() >= 400 && response.statusCode() != 404 && response.statusCode() != 409) {
            throw new OpsFailure(response.statusCode() >= 500 ? OpsFailure.Exit.SERVICE_UNREACHABLE : OpsFailure.Exit.FAILED,
                    "the " + service + " service answered HTTP " + response.statusCode() + ": " + json.path("message").asText(""));
        }
        return new Answer(response.statusCode(), json);
    }
}
