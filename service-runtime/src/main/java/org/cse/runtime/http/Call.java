package org.cse.runtime.http;

import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;

/**
 * One HTTP request as a route handler sees it: the body already read (within the route's limit and
 * the server's body timeout), the path parameter already percent-decoded as one path segment.
 *
 * @param method HTTP method
 * @param path the request path, undecoded
 * @param pathParam the decoded last segment for a {@code /prefix/{}} route, else null
 * @param query query parameters, decoded
 * @param headers request headers
 * @param body the body, empty when the route reads none
 * @param remoteAddress the peer's address, for audit lines
 * @param attributes what an authenticator established, e.g. the caller's identity
 */
public record Call(String method, String path, String pathParam, Map<String, List<String>> query, HttpFields headers,
                   byte[] body, String remoteAddress, Map<String, Object> attributes) {

    /** The first value of a header, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The first value of a query parameter, or null. */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @SuppressWarnings("unchecked")
    public <T> T attribute(String name) {
        return (T) attributes.get(name);
    }
}
