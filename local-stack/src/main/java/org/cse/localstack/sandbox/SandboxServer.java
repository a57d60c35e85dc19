package org.cse.localstack.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;

/**
 * Base of the sandbox servers: the services' own HTTP server (Jetty, TCP_NODELAY on) on a free
 * loopback port, so that a timing taken through a sandbox measures the pipeline, not a server's
 * delayed-ACK wait. Every call goes through the sandbox's {@link Behaviour}: a latency and fault
 * rates, settable at any time from a test or the bench. A delayed answer holds no thread: it is
 * completed by a scheduler, so a slow sandbox still takes hundreds of calls at once.
 */
abstract class SandboxServer implements AutoCloseable {
    /** Enough that a sandbox is never the pipeline's bottleneck; bodies up to a file upload. */
    private static final HttpServer.Limits LIMITS = new HttpServer.Limits(2048, 64, Duration.ofSeconds(60), Duration.ofSeconds(10),
            Duration.ofSeconds(60), 16 * 1024);
    static final int MAX_BODY = 64 * 1024 * 1024;

    /** A sandbox endpoint: answers on the calling thread. */
    @FunctionalInterface
    interface Endpoint {
        Reply handle(Call call) throws Exception;
    }

    private final HttpServer server;
    private final ScheduledExecutorService later;
    private final Map<Behaviour.Fate, AtomicLong> fates = new EnumMap<>(Behaviour.Fate.class);
    private volatile Behaviour behaviour = Behaviour.PROMPT;

    SandboxServer(String name) {
        server = HttpServer.create(name, "127.0.0.1", 0, LIMITS, null);
        later = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, name + "-answers");
            thread.setDaemon(true);
            return thread;
        });
        for (Behaviour.Fate fate : Behaviour.Fate.values()) {
            fates.put(fate, new AtomicLong());
        }
    }

    /** From now on, every call gets this latency and these fault rates. */
    public void behave(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    /** Calls that got a fault drawn from the behaviour (503, 429, no answer, a lost answer), by kind. */
    public Map<String, Long> injectedFaults() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        fates.forEach((fate, count) -> {
            if (fate != Behaviour.Fate.SERVE) {
                counts.put(fate.name(), count.get());
            }
        });
        return counts;
    }

    void route(String method, String path, Endpoint endpoint) {
        server.route(method, path, Body.any(MAX_BODY), call -> {
            Behaviour now = behaviour;
            ThreadLocalRandom random = ThreadLocalRandom.current();
            Behaviour.Fate fate = now.draw(random.nextDouble());
            fates.get(fate).incrementAndGet();
            Duration delay = fate == Behaviour.Fate.UNANSWERED ? now.unanswered() : now.delay(random.nextDouble());
            if (delay.isZero()) {
                return CompletableFuture.completedFuture(answer(fate, now, endpoint, call));
            }
            CompletableFuture<Reply> answer = new CompletableFuture<>();
            later.schedule(() -> {
                try {
                    answer.complete(answer(fate, now, endpoint, call));
                } catch (Exception e) {
                    answer.completeExceptionally(e);
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
            return answer;
        });
    }

    private static Reply answer(Behaviour.Fate fate, Behaviour behaviour, Endpoint endpoint, Call call) throws Exception {
        return switch (fate) {
            case SERVE -> endpoint.handle(call);
            case SERVER_ERROR -> respond(503, "application/json", "{\"error\":\"injected server error\"}");
            case TOO_MANY_REQUESTS -> respond(429, "application/json", "{\"error\":\"injected rate limit\"}")
                    .withHeader("Retry-After", Integer.toString(behaviour.retryAfterSeconds()));
            case UNANSWERED -> respond(504, "application/json", "{\"error\":\"injected timeout\"}");
            case LOST_ANSWER -> {
                endpoint.handle(call);
                yield respond(502, "text/plain", "Bad Gateway");
            }
        };
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
        later.shutdownNow();
    }
}
