package org.cse.runtime.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cse.runtime.ConfigException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler.Abstract;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server every service and sandbox uses: Jetty 12 (its core API, no servlets), because it is
 * non-blocking where a hostile client is slow. Headers are parsed on the selector, so a client that
 * drips its headers holds a connection but no thread; bodies are read asynchronously within a time
 * limit; handlers may answer later without holding a thread. On top of Jetty's own protections:
 *
 * <ul>
 *   <li>a connection limit ({@link NetworkConnectionLimit}) and an idle timeout;</li>
 *   <li>a header deadline: a request whose headers are not complete within {@code headerTimeout} has
 *       its connection closed (Jetty has no such setting of its own);</li>
 *   <li>a body deadline: {@code 408} when the body is not complete within {@code bodyTimeout};</li>
 *   <li>an immediate {@code 413} when the declared length is over the route's limit (nothing read);</li>
 *   <li>exact paths ({@code 404}), {@code 405} with {@code Allow}, {@code 415} for a JSON route
 *       given anything but {@code application/json};</li>
 *   <li>a JSON {@code 500} for any unexpected error: a client always gets an answer.</li>
 * </ul>
 *
 * TCP_NODELAY is on (Jetty's default for accepted sockets): without it a request/response pair waits
 * for the peer's delayed ACK.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    /** After refusing a request whose body is still coming: how much more of it is read and dropped before the close. */
    private static final long LINGER_BYTES = 8L * 1024 * 1024;
    private static final Duration LINGER_TIME = Duration.ofSeconds(2);

    /**
     * How much a server lets its clients hold.
     *
     * @param maxConnections open connections at most; past it the server stops accepting until some close
     * @param maxThreads handler threads
     * @param idleTimeout a connection with no traffic for this long is closed
     * @param headerTimeout a request's headers must be complete within this
     * @param bodyTimeout a request's body must be complete within this, else 408
     * @param maxHeaderBytes request line and headers at most (Jetty answers 431 past it)
     */
    public record Limits(int maxConnections, int maxThreads, Duration idleTimeout, Duration headerTimeout,
                         Duration bodyTimeout, int maxHeaderBytes) {
        /** For an API port that faces other services and the network. */
        public static Limits api() {
            return new Limits(1024, 64, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), 16 * 1024);
        }

        /** For a management port (health, metrics): small, its own threads. */
        public static Limits management() {
            return new Limits(128, 8, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(5), 8 * 1024);
        }
    }

    /** Whether and how clients present certificates: NONE, WANT (a publisher may use mTLS or a token), NEED. */
    public enum ClientAuth { NONE, WANT, NEED }

    /**
     * TLS for a port: the server's key store (PKCS12), and the trust store of client certificates'
     * issuers when clients authenticate with certificates (mTLS).
     */
    public record Tls(java.nio.file.Path keyStore, String keyStorePassword, java.nio.file.Path trustStore, String trustStorePassword,
                      ClientAuth clientAuth) {}

    /**
     * Runs before a route's body is read: answers instead (e.g. 401) or returns null to go on, possibly
     * adding attributes. {@code clientSubject} is the TLS client certificate's subject, or null.
     */
    @FunctionalInterface
    public interface Guard {
        Reply check(String method, String path, org.eclipse.jetty.http.HttpFields headers, String remoteAddress, String clientSubject,
                    Map<String, Object> attributes);
    }

    /** A route: a path, exact or with one {@code {}} segment, the text before and after it being {@code prefix} and {@code suffix}. */
    private record Route(String method, String pattern, String prefix, String suffix, boolean param, Body body, Handler handler,
                         Guard guard) {
        boolean matches(String path) {
            if (!param) {
                return path.equals(prefix);
            }
            return path.length() > prefix.length() + suffix.length() && path.startsWith(prefix) && path.endsWith(suffix)
                    && path.indexOf('/', prefix.length()) == (suffix.isEmpty() ? -1 : path.length() - suffix.length());
        }

        /** The raw text of the {@code {}} segment. */
        String rawParam(String path) {
            return path.substring(prefix.length(), path.length() - suffix.length());
        }
    }

    private final String name;
    private final Limits limits;
    private final Server server;
    private final ServerConnector connector;
    // routes may be added once the port is bound (a service advertises the port before it has every route)
    private final List<Route> routes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final MeterRegistry metrics;
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers;
    /** When each connection's current request started arriving, for the header deadline. */
    private final Map<EndPoint, Long> headerStarted = new ConcurrentHashMap<>();

    private HttpServer(String name, String host, int port, Limits limits, MeterRegistry metrics, Tls tls) {
        this.name = name;
        this.limits = limits;
        this.metrics = metrics;
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), Math.min(4, limits.maxThreads()));
        threads.setName(name + "-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        config.setRequestHeaderSize(limits.maxHeaderBytes());
        if (tls == null) {
            this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        } else {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tls.keyStore().toString());
            ssl.setKeyStorePassword(tls.keyStorePassword());
            ssl.setKeyStoreType("PKCS12");
            if (tls.trustStore() != null) {
                ssl.setTrustStorePath(tls.trustStore().toString());
                ssl.setTrustStorePassword(tls.trustStorePassword());
                ssl.setTrustStoreType("PKCS12");
            }
            ssl.setWantClientAuth(tls.clientAuth() == ClientAuth.WANT);
            ssl.setNeedClientAuth(tls.clientAuth() == ClientAuth.NEED);
            config.addCustomizer(new SecureRequestCustomizer(false));
            this.connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(config));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(256);
        connector.setAcceptedTcpNoDelay(true);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setErrorHandler(new JsonErrors());
        server.setHandler(new Dispatcher());
        this.timers = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name + "-http-timers");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A server on {@code host:port} (0: a free port); {@code metrics} may be null. */
    public static HttpServer create(String name, String host, int port, Limits limits, MeterRegistry metrics) {
        return new HttpServer(name, host, port, limits, metrics, null);
    }

    /** A server speaking TLS (null: plain HTTP). */
    public static HttpServer create(String name, String host, int port, Limits limits, MeterRegistry metrics, Tls tls) {
        return new HttpServer(name, host, port, limits, metrics, tls);
    }

    /**
     * Adds a route. {@code path} is exact, or has one {@code {}} segment (e.g. {@code /v1/accounts/{}}):
     * any one path segment, given to the handler percent-decoded as {@link Call#pathParam()} (never a
     * path of its own: {@code %2F}, {@code .} and {@code ..} are refused).
     */
    public HttpServer route(String method, String path, Body body, Handler handler) {
        return route(method, path, body, null, handler);
    }

    /** A route with a guard that runs before the body is read (authentication). */
    public HttpServer route(String method, String path, Body body, Guard guard, Handler handler) {
        int at = path.indexOf("{}");
        boolean param = at >= 0;
        routes.add(new Route(method, path, param ? path.substring(0, at) : path, param ? path.substring(at + 2) : "", param, body,
                handler, guard));
        return this;
    }

    public HttpServer start() {
        try {
            server.start();
        } catch (Exception e) {
            throw new ConfigException("cannot listen on " + connector.getHost() + ":" + connector.getPort() + " for " + name + ": "
                    + e.getMessage());
        }
        long sweep = Math.max(100, Math.min(1000, limits.headerTimeout().toMillis() / 4));
        timers.scheduleWithFixedDelay(this::enforceHeaderDeadline, sweep, sweep, TimeUnit.MILLISECONDS);
        LOG.info("{} listening on http://{}:{}", name, connector.getHost() == null ? "0.0.0.0" : connector.getHost(), port());
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        timers.shutdownNow();
        try {
            server.setStopTimeout(2000);
            server.stop();
        } catch (Exception e) {
            LOG.debug("{} did not stop cleanly: {}", name, e.toString());
        }
    }

    /**
     * Closes connections whose current request's headers have been arriving for longer than the
     * header timeout: a slowloris client holds a connection slot for that long at most.
     */
    private void enforceHeaderDeadline() {
        try {
            long now = System.nanoTime();
            long deadline = limits.headerTimeout().toNanos();
            Set<EndPoint> open = new java.util.HashSet<>(connector.getConnectedEndPoints());
            headerStarted.keySet().retainAll(open);
            for (EndPoint endPoint : open) {
                if (!(endPoint.getConnection() instanceof HttpConnection connection)) {
                    continue;
                }
                var parser = connection.getParser();
                boolean readingHeaders = !parser.isStart() && parser.inHeaderState();
                if (!readingHeaders) {
                    headerStarted.remove(endPoint);
                    continue;
                }
                long started = headerStarted.computeIfAbsent(endPoint, key -> now);
                if (now - started > deadline) {
                    LOG.info("{}: closing a connection from {} whose request headers took longer than {}", name,
                            endPoint.getRemoteSocketAddress(), limits.headerTimeout());
                    count("(headers)", 408);
                    headerStarted.remove(endPoint);
                    endPoint.close();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: header deadline check failed: {}", name, e.toString());
        }
    }

    private void count(String route, int status) {
        if (metrics == null) {
            return;
        }
        requestCounters.computeIfAbsent(route + " " + status, key -> Counter.builder("cse_http_requests")
                .description("HTTP requests answered, by server, route and status")
                .tag("server", name).tag("route", route).tag("status", Integer.toString(status))
                .register(metrics)).increment();
    }

    /** Dispatches to the routes; every path through it ends in exactly one answer. */
    private final class Dispatcher extends Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            List<Route> onPath = routes.stream().filter(route -> route.matches(path == null ? "" : path)).toList();
            if (onPath.isEmpty()) {
                return refuse(request, response, callback, "(none)", Reply.error(404, "NOT_FOUND", "no such resource"));
            }
            Route route = onPath.stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
            String routeName = onPath.get(0).pattern();
            if (route == null) {
                Set<String> allowed = new LinkedHashSet<>();
                onPath.forEach(r -> allowed.add(r.method()));
                return refuse(request, response, callback, routeName, Reply.error(405, "METHOD_NOT_ALLOWED",
                        "use " + String.join(" or ", allowed)).withHeader("Allow", String.join(", ", allowed)));
            }
            String param = null;
            if (route.param()) {
                param = decodeSegment(route.rawParam(path));
                if (param == null) {
                    return refuse(request, response, callback, routeName, Reply.error(400, "INVALID_PATH",
                            "the last path segment is not valid percent-encoded UTF-8, or is empty, '.' or '..'"));
                }
            }
            Map<String, Object> attributes = new HashMap<>();
            String remote = Request.getRemoteAddr(request);
            if (route.guard() != null) {
                Reply refused;
                try {
                    refused = route.guard().check(method, path, request.getHeaders(), remote, clientSubject(request), attributes);
                } catch (RuntimeException e) {
                    LOG.error("{}: guard of {} {} failed", name, method, routeName, e);
                    refused = Reply.error(500, "INTERNAL_ERROR", "internal error");
                }
                if (refused != null) {
                    return refuse(request, response, callback, routeName, refused);
                }
            }
            Map<String, List<String>> query;
            try {
                query = query(request);
            } catch (RuntimeException e) {
                return refuse(request, response, callback, routeName, Reply.error(400, "INVALID_QUERY", "the query string is not valid"));
            }
            Body body = route.body();
            if (body.maxBytes() > 0) {
                if (body.jsonOnly() && !Body.isJson(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
                    return refuse(request, response, callback, routeName, Reply.error(415, "UNSUPPORTED_MEDIA_TYPE",
                            "Content-Type must be application/json (charset utf-8 if given)"));
                }
                if (request.getLength() > body.maxBytes()) {
                    return refuse(request, response, callback, routeName, tooLarge(body));
                }
            }
            String param0 = param;
            CompletableFuture<byte[]> content = body.maxBytes() > 0 ? readBody(request, body.maxBytes()) : CompletableFuture.completedFuture(new byte[0]);
            content.whenComplete((bytes, failure) -> {
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                    answer(request, response, callback, routeName, cause instanceof TimeoutException
                            ? Reply.error(408, "REQUEST_TIMEOUT", "the body did not arrive within " + limits.bodyTimeout())
                                    .withHeader("Connection", "close")
                            : Reply.error(400, "BAD_REQUEST", "the body could not be read"));
                    return;
                }
                if (bytes == null) {
                    answer(request, response, lingering(request, callback), routeName, tooLarge(body));
                    return;
                }
                Call call = new Call(method, path, param0, query, request.getHeaders(), bytes, remote, attributes);
                CompletionStage<Reply> reply;
                try {
                    reply = route.handler().handle(call);
                } catch (Exception e) {
                    reply = CompletableFuture.failedFuture(e);
                }
                reply.whenComplete((answer, error) -> {
                    if (error != null || answer == null) {
                        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                        LOG.error("{}: unexpected error on {} {}", name, method, routeName, cause);
                        answer(request, response, callback, routeName, Reply.error(500, "INTERNAL_ERROR", "internal error"));
                    } else if (body.maxBytes() == 0) {
                        refuse(request, response, callback, routeName, answer); // a body the route does not read may still be coming
                    } else {
                        answer(request, response, callback, routeName, answer);
                    }
                });
            });
            return true;
        }

        private Reply tooLarge(Body body) {
            return Reply.error(413, "BODY_TOO_LARGE", "body is larger than " + body.maxBytes() + " bytes")
                    .withHeader("Connection", "close");
        }
    }

    /**
     * Answers before the body was read: if one is coming, the connection is closed after the answer rather than reused
     * mid-body, and not before what the client is still sending was read and dropped (a lingering close): closing on
     * unread bytes makes TCP reset the connection, and a client still writing its body then never reads the answer.
     */
    private boolean refuse(Request request, Response response, Callback callback, String route, Reply reply) {
        boolean bodyComing = request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        if (!bodyComing) {
            return answer(request, response, callback, route, reply);
        }
        return answer(request, response, lingering(request, callback), route, reply.withHeader("Connection", "close"));
    }

    /** Completes {@code callback} once the rest of the request was read and dropped: at most LINGER_BYTES, LINGER_TIME. */
    private Callback lingering(Request request, Callback callback) {
        return Callback.from(() -> drain(request).whenComplete((done, failure) -> callback.succeeded()), callback::failed);
    }

    private CompletableFuture<Void> drain(Request request) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        AtomicBoolean stopped = new AtomicBoolean();
        var timeout = timers.schedule(() -> {
            stopped.set(true);
            result.complete(null);
        }, LINGER_TIME.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((done, failure) -> timeout.cancel(false));
        long[] dropped = {0};
        Runnable reader = new Runnable() {
            @Override
            public void run() {
                while (!stopped.get()) {
                    Content.Chunk chunk;
                    try {
                        chunk = request.read();
                    } catch (RuntimeException e) {
                        result.complete(null);
                        return;
                    }
                    if (chunk == null) {
                        request.demand(this);
                        return;
                    }
                    dropped[0] += chunk.remaining();
                    boolean over = chunk.isLast() || Content.Chunk.isFailure(chunk) || dropped[0] > LINGER_BYTES;
                    chunk.release();
                    if (over) {
                        result.complete(null);
                        return;
                    }
                }
            }
        };
        reader.run();
        return result;
    }

    private boolean answer(Request request, Response response, Callback callback, String route, Reply reply) {
        count(route, reply.status());
        try {
            response.setStatus(reply.status());
            reply.headers().forEach((header, value) -> response.getHeaders().put(header, value));
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
        } catch (RuntimeException e) {
            callback.failed(e);
        }
        return true;
    }

    /**
     * Reads the body without holding a thread while it arrives. Completes with null when it is larger
     * than {@code max}, with a TimeoutException when it is not complete within the body timeout.
     */
    private CompletableFuture<byte[]> readBody(Request request, int max) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 16 * 1024));
        AtomicBoolean stopped = new AtomicBoolean();
        var timeout = timers.schedule(() -> {
            stopped.set(true);
            result.completeExceptionally(new TimeoutException());
        }, limits.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((bytes, failure) -> timeout.cancel(false));
        Runnable reader = new Runnable() {
            @Override
            public void run() {
                while (!stopped.get()) {
                    Content.Chunk chunk = request.read();
                    if (chunk == null) {
                        request.demand(this);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk)) {
                        result.completeExceptionally(chunk.getFailure());
                        return;
                    }
                    ByteBuffer buffer = chunk.getByteBuffer();
                    if (out.size() + buffer.remaining() > max) {
                        chunk.release();
                        stopped.set(true);
                        result.complete(null);
                        return;
                    }
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    out.write(bytes, 0, bytes.length);
                    boolean last = chunk.isLast();
                    chunk.release();
                    if (last) {
                        result.complete(out.toByteArray());
                        return;
                    }
                }
            }
        };
        reader.run();
        return result;
    }

    /** The subject of the client's TLS certificate, when it presented one. */
    private static String clientSubject(Request request) {
        EndPoint.SslSessionData ssl = request.getConnectionMetaData().getConnection().getEndPoint().getSslSessionData();
        if (ssl == null || ssl.peerCertificates() == null || ssl.peerCertificates().length == 0) {
            return null;
        }
        return ssl.peerCertificates()[0].getSubjectX500Principal().getName();
    }

    private static Map<String, List<String>> query(Request request) {
        if (request.getHttpURI().getQuery() == null) {
            return Map.of();
        }
        Fields fields = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (Fields.Field field : fields) {
            query.put(field.getName(), List.copyOf(field.getValues()));
        }
        return query;
    }

    /** One path segment, percent-decoded as strict UTF-8; null if malformed, empty, '.' or '..', or if it holds a '/'. */
    static String decodeSegment(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.write(high * 16 + low);
                i += 2;
            } else if (c > 0x7f) {
                return null;
            } else {
                bytes.write(c);
            }
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        if (decoded.isEmpty() || decoded.equals(".") || decoded.equals("..") || decoded.indexOf('/') >= 0) {
            return null;
        }
        return decoded;
    }

    /** Jetty's own refusals (a bad request line, headers too large) as JSON, like every other answer. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) throws IOException {
            String error = switch (code) {
                case 400 -> "BAD_REQUEST";
                case 404 -> "NOT_FOUND";
                case 408 -> "REQUEST_TIMEOUT";
                case 413 -> "BODY_TOO_LARGE";
                case 431 -> "HEADERS_TOO_LARGE";
                default -> code >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
            };
            byte[] body = Reply.error(code, error, code >= 500 ? "internal error" : "the request could not be accepted (HTTP " + code + ")")
                    .body();
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, Reply.JSON_TYPE);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }
}
