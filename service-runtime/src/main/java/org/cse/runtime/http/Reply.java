package org.cse.runtime.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP answer: status, content type, body and extra headers. Errors are always JSON
 * ({@code {"error": CODE, "field": ..., "message": ...}}) so that every client reads one format.
 */
public record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String JSON_TYPE = "application/json";

    public Reply {
        headers = Map.copyOf(headers);
    }

    public static Reply json(int status, Object value) {
        try {
            return new Reply(status, JSON_TYPE, JSON.writeValueAsBytes(value), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON answer", e);
        }
    }

    public static Reply text(int status, String contentType, String body) {
        return new Reply(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public static Reply bytes(int status, String contentType, byte[] body) {
        return new Reply(status, contentType, body, Map.of());
    }

    public static Reply error(int status, String code, String message) {
        return error(status, code, null, message);
    }

    /** An error naming the offending field (may be null). Never put a submitted value in the message. */
    public static Reply error(int status, String code, String field, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        if (field != null && !field.isEmpty()) {
            body.put("field", field);
        }
        body.put("message", message);
        return json(status, body);
    }

    /** The same answer with one more header. */
    public Reply withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Reply(status, contentType, body, more);
    }
}
