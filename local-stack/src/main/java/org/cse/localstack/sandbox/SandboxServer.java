package org.cse.localstack.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Handler;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;

/**
 * Base of the sandbox servers: the services' own HTTP server (Jetty, TCP_NODELAY on) on a free
 * loopback port, so that a timing taken through a sandbox measures the pipeline, not a server's
 * delayed-ACK wait.
 */
abstract class SandboxServer implements AutoCloseable {
    /** Enough that a sandbox is never the pipeline's bottleneck; bodies up to a file upload. */
    private static final HttpServer.Limits LIMITS = new HttpServer.Limits(1024, 64, Duration.ofSeconds(60), Duration.ofSeconds(10),
            Duration.ofSeconds(60), 16 * 1024);
    static final int MAX_BODY = 64 * 1024 * 1024;

    /** A sandbox endpoint: answers on the calling thread. */
    @FunctionalInterface
    interface Endpoint {
        Reply handle(Call call) throws Exception;
    }

    private final HttpServer server;

    SandboxServer(String name) {
        server = HttpServer.create(name, "127.0.0.1", 0, LIMITS, null);
    }

    void route(String method, String path, Endpoint endpoint) {
        server.route(method, path, Body.any(MAX_BODY), Handler.sync(endpoint::handle));
    }

    void begin() {
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    static Reply respond(int status, String contentType, String body) {
        return Reply.text(status, contentType, body);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        server.close();
    }
}
