package org.cse.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.cse.runtime.Env;
import org.cse.runtime.auth.Operators;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Handler;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;
import org.cse.schemas.Limits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live console: one page (HTML, JavaScript and uPlot from its WebJar, all served from here: no
 * CDN) and a JSON API behind the operators' tokens — {@code GET /api/overview} (rates per minute,
 * dead letters by reason, parked and failed deliveries, the legal clock, consumer lag) and
 * {@code GET /api/accounts/{id}} (the account view of {@code cse-ops account}, asked of the services
 * with the operator's own token, so they audit the person). Reads Kafka as the {@code ops} principal.
 */
public final class Console implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";
    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[] {"/console/index.html", "text/html; charset=utf-8"},
            "/console.js", new String[] {"/console/console.js", "text/javascript; charset=utf-8"},
            "/console.css", new String[] {"/console/console.css", "text/css; charset=utf-8"},
            "/uPlot.iife.min.js", new String[] {UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"},
            "/uPlot.min.css", new String[] {UPLOT + "uPlot.min.css", "text/css; charset=utf-8"});

    private final ConsoleData data;
    private final HttpServer server;
    private final Services services;
    /** Account lookups wait on the services: their own few threads, not the JVM's common pool. */
    private final java.util.concurrent.ExecutorService lookups = java.util.concurrent.Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "cse-console-lookup");
        thread.setDaemon(true);
        return thread;
    });

    private Console(ConsoleData data, HttpServer server, Services services) {
        this.data = data;
        this.server = server;
        this.services = services;
    }

    /** Starts the console on host:port (0: any free port), operators from {@code CSE_OPS_OPERATORS_FILE}. */
    public static Console start(Env env, Clock clock, String host, int port) {
        OpsSettings settings = OpsSettings.from(env);
        Operators operators = Operators.load(Path.of(env.required("CSE_OPS_OPERATORS_FILE")), clock);
        ConsoleData data = new ConsoleData(settings, clock);
        Services services = new Services(settings);
        HttpServer server = HttpServer.create("console", host, port, HttpServer.Limits.api(), new SimpleMeterRegistry());
        Console console = new Console(data, server, services);
        STATIC.forEach((path, file) -> server.route("GET", path, Body.NONE, Handler.sync(call -> resource(file[0], file[1]))));
        server.route("GET", "/api/overview", Body.NONE, operators.guard(), Handler.sync(call -> console.overview()));
        server.route("GET", "/api/accounts/{}", Body.NONE, operators.guard(), console::account);
        server.route("GET", "/health/live", Body.NONE, Handler.sync(call -> Reply.json(200, Map.of("status", "UP"))));
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        data.start();
        LOG.info("console on http://{}:{}/", host, server.port());
        return console;
    }

    public int port() {
        return server.port();
    }

    private Reply overview() {
        ObjectNode overview = data.overview();
        if (overview == null) {
            return secure(Reply.error(503, "NOT_READY", "no data yet: " + data.problem()));
        }
        ObjectNode copy = overview.deepCopy();
        copy.put("problem", data.problem());
        return secure(Reply.json(200, copy));
    }

    private CompletionStage<Reply> account(Call call) {
        String accountId = call.pathParam();
        if (!Limits.isId(accountId)) {
            return CompletableFuture.completedFuture(secure(Reply.error(400, "INVALID_FIELD", "accountId", "an account id is " + Limits.ID_RULE)));
        }
        String token = call.header("Authorization").substring("Bearer ".length()).trim();
        Operators.audit(call.attribute(Operators.OPERATOR), "looked up account in the console", accountId, call.remoteAddress());
        // the services are asked on another thread: the console's request threads do not wait on them
        return CompletableFuture.supplyAsync(() -> {
            try {
                return secure(Reply.json(200, services.account(accountId, token)));
            } catch (OpsFailure e) {
                return secure(Reply.error(e.exitCode() == OpsFailure.Exit.SERVICE_UNREACHABLE ? 502 : 500, "LOOKUP_FAILED", e.getMessage()));
            }
        }, lookups);
    }

    private static Reply resource(String path, String type) throws IOException {
        try (InputStream in = Console.class.getResourceAsStream(path)) {
            if (in == null) {
                return secure(Reply.error(404, "NOT_FOUND", "no such file"));
            }
            return secure(Reply.bytes(200, type, in.readAllBytes()));
        }
    }

    /** Only this origin's scripts and styles; never framed; no referrer to leak an account id. */
    private static Reply secure(Reply reply) {
        return reply.withHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
                .withHeader("X-Content-Type-Options", "nosniff").withHeader("Referrer-Policy", "no-referrer")
                .withHeader("Cache-Control", "no-store");
    }

    @Override
    public void close() {
        server.close();
        lookups.shutdownNow();
        data.close();
    }
}
