package org.cse.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a service: {@code /health/live}, {@code /health/ready}, {@code /metrics}
 * (Prometheus text format) and whatever routes the service adds. The JDK's own server: a handful
 * of routes need no framework.
 */
public final class HttpService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);
    public static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String name;

    public HttpService(String name, String host, int port, PrometheusMeterRegistry metrics, BooleanSupplier ready,
                       int threads) {
        this.name = name;
        try {
            this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
        } catch (IOException e) {
            throw new ConfigException("cannot listen on " + host + ":" + port + " for " + name + ": " + e.getMessage());
        }
        this.executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, name + "-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        route("/health/live", exchange -> respondJson(exchange, 200, Map.of("status", "UP")));
        route("/health/ready", exchange -> {
            boolean isReady = ready.getAsBoolean();
            respondJson(exchange, isReady ? 200 : 503, Map.of("status", isReady ? "UP" : "DOWN"));
        });
        route("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(StandardCharsets.UTF_8)));
    }

    /** Adds a route; an unexpected exception in the handler becomes a 500 with no detail leaked. */
    public HttpService route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                handler.handle(exchange);
            } catch (RuntimeException | IOException e) {
                LOG.error("unhandled error on {} {}", exchange.getRequestMethod(), path, e);
                try {
                    respondJson(exchange, 500, Map.of("error", "internal error"));
                } catch (IOException | RuntimeException ignored) {
                    // response already started; nothing more to send
                }
            }
        });
        return this;
    }

    public HttpService start() {
        server.start();
        LOG.info("{} listening on http://{}:{}", name, server.getAddress().getHostString(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void respondJson(HttpExchange exchange, int status, Object body) throws IOException {
        respond(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    public static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Oversized bodies up to this size are read and discarded, so that the client reliably sees the 413. */
    private static final long DRAIN_LIMIT = 64L * 1024 * 1024;

    /**
     * Reads at most {@code limit} bytes of the request body; returns null when the body is larger, so
     * that an oversized request is refused without being held in memory. The rest of an oversized body
     * is read and discarded (up to 64 MiB; past that the connection is closed), because a server that
     * answers before reading the request makes HTTP/1.1 clients lose the answer.
     */
    public static byte[] readBody(HttpExchange exchange, int limit) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try (InputStream in = exchange.getRequestBody()) {
            boolean declaredTooLarge = declared != null && !declared.trim().matches("\\d{1,18}")
                    || declared != null && Long.parseLong(declared.trim()) > limit;
            byte[] body = declaredTooLarge ? null : in.readNBytes(limit + 1);
            if (body != null && body.length <= limit) {
                return body;
            }
            drain(exchange, in);
            return null;
        }
    }

    private static void drain(HttpExchange exchange, InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long discarded = 0;
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
            discarded += read;
            if (discarded > DRAIN_LIMIT) {
                exchange.getResponseHeaders().set("Connection", "close");
                return;
            }
        }
    }
}
