package org.cse.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.function.Supplier;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Handler;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;

/**
 * The management port of a service: {@code /health/live}, {@code /health/ready} and {@code /metrics}
 * (Prometheus), on a server and threads of their own, so that they answer while the API port is
 * saturated. Bind it to loopback or a pod-internal interface; it serves nothing else.
 */
public final class Management {
    private Management() {
    }

    public static HttpServer server(String service, String host, int port, PrometheusMeterRegistry metrics, Supplier<Health> health) {
        return HttpServer.create(service + "-management", host, port, HttpServer.Limits.management(), metrics)
                .route("GET", "/health/live", Body.NONE, Handler.sync(call -> Reply.json(200, Map.of("status", "UP"))))
                .route("GET", "/health/ready", Body.NONE, Handler.sync(call -> {
                    Health now = health.get();
                    return Reply.json(now.ready() ? 200 : 503, now.view());
                }))
                .route("GET", "/metrics", Body.NONE, Handler.sync(call -> Reply.text(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape())));
    }
}
