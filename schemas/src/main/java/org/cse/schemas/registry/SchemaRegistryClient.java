package org.cse.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A small client for the Confluent Schema Registry REST API (as served by Confluent Schema Registry,
 * Apicurio's {@code /apis/ccompat/v7} and Karapace). The Confluent client is not on Maven Central,
 * and the pipeline needs only four calls: register, look up, fetch by id, set compatibility.
 *
 * <p>Ids are immutable in a registry, so every answer is cached for the life of the client: after
 * warm-up a registry outage does not stop records whose schemas were already seen.
 */
public class SchemaRegistryClient implements SchemaRegistry {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUrl;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int attempts;
    private final Duration backoff;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {}

    /**
     * @param baseUrl the Confluent-compatible API root, e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7}
     */
    public SchemaRegistryClient(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(5), 3, Duration.ofMillis(200));
    }

    public SchemaRegistryClient(String baseUrl, Duration requestTimeout, int attempts, Duration backoff) {
        String trimmed = Objects.requireNonNull(baseUrl, "schema registry url").replaceAll("/+$", "");
        this.baseUrl = URI.create(trimmed + "/");
        this.requestTimeout = requestTimeout;
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
        this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
    }

    public String baseUrl() {
        return baseUrl.toString().replaceAll("/$", "");
    }

    /** Registers the schema under the subject (idempotent: the same schema gets the same id). */
    @Override
    public int register(String subject, Schema schema) {
        return idsBySubjectSchema.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call("POST", "subjects/" + encode(subject) + "/versions", schemaBody(schema),
                    "register schema " + schema.getFullName() + " under subject " + subject);
            int id = requiredInt(answer, "id", subject);
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    /** The id of a schema already registered under the subject; NOT_FOUND if it is not. */
    @Override
    public int lookup(String subject, Schema schema) {
        return idsBySubjectSchema.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call("POST", "subjects/" + encode(subject), schemaBody(schema),
                    "look up schema " + schema.getFullName() + " under subject " + subject);
            int id = requiredInt(answer, "id", subject);
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    /** The writer schema for an id found in a record's header. */
    @Override
    public Schema schemaById(int id) {
        return schemasById.computeIfAbsent(id, key -> {
            JsonNode answer = call("GET", "schemas/ids/" + id, null, "fetch schema id " + id);
            JsonNode text = answer.get("schema");
            if (text == null || !text.isTextual()) {
                throw new SchemaRegistryException(SchemaRegistryException.Kind.BAD_RESPONSE,
                        "schema registry at " + baseUrl() + " answered schema id " + id + " without a schema");
            }
            String type = answer.path("schemaType").asText("AVRO");
            if (!"AVRO".equals(type)) {
                throw new SchemaRegistryException(SchemaRegistryException.Kind.BAD_RESPONSE,
                        "schema id " + id + " is a " + type + " schema, not AVRO");
            }
            return new Schema.Parser().parse(text.asText());
        });
    }

    /** Sets the subject's compatibility level (e.g. BACKWARD): the registry then refuses breaking schemas. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        call("PUT", "config/" + encode(subject), body.toString(), "set compatibility of " + subject);
    }

    /** The subject's compatibility level as the registry reports it. */
    public String compatibility(String subject) {
        JsonNode answer = call("GET", "config/" + encode(subject), null, "read compatibility of " + subject);
        return answer.path("compatibilityLevel").asText(answer.path("compatibility").asText(null));
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private int requiredInt(JsonNode answer, String field, String subject) {
        JsonNode value = answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.BAD_RESPONSE,
                    "schema registry at " + baseUrl() + " answered subject " + subject + " without '" + field + "'");
        }
        return value.asInt();
    }

    private JsonNode call(String method, String path, String body, String what) {
        URI uri = baseUrl.resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE + ", application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        IOException lastFailure = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return JSON.readTree(response.body());
                }
                if (status >= 500 && attempt < attempts) {
                    sleep(attempt);
                    continue;
                }
                throw failure(status, response.body(), what);
            } catch (IOException e) {
                lastFailure = e;
                if (attempt < attempts) {
                    sleepQuietly(attempt);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE,
                        "interrupted while trying to " + what, e);
            }
        }
        throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE,
                "schema registry at " + baseUrl() + " unreachable after " + attempts + " attempts to " + what
                        + ": " + lastFailure, lastFailure);
    }

    private SchemaRegistryException failure(int status, String body, String what) {
        String message = body;
        int errorCode = -1;
        try {
            JsonNode error = JSON.readTree(body);
            message = error.path("message").asText(body);
            errorCode = error.path("error_code").asInt(-1);
        } catch (IOException ignored) {
            // not JSON: keep the raw body as the message
        }
        SchemaRegistryException.Kind kind = switch (status) {
            case 404 -> SchemaRegistryException.Kind.NOT_FOUND;
            case 409 -> SchemaRegistryException.Kind.INCOMPATIBLE;
            default -> status >= 500 ? SchemaRegistryException.Kind.UNAVAILABLE : SchemaRegistryException.Kind.BAD_RESPONSE;
        };
        return new SchemaRegistryException(kind, "schema registry at " + baseUrl() + " refused to " + what
                + ": HTTP " + status + (errorCode > 0 ? " (error " + errorCode + ")" : "") + ": " + message);
    }

    private void sleep(int attempt) throws InterruptedException {
        Thread.sleep(backoff.toMillis() * attempt);
    }

    private void sleepQuietly(int attempt) {
        try {
            sleep(attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAVAILABLE,
                    "interrupted while waiting for the schema registry at " + baseUrl(), e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }
}
