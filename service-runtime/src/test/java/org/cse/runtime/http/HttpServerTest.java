package org.cse.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {
    private static final HttpServer.Limits SHORT = new HttpServer.Limits(256, 8, Duration.ofSeconds(30), Duration.ofMillis(800),
            Duration.ofMillis(800), 8 * 1024);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private HttpServer server;

    @BeforeEach
    void start() {
        server = HttpServer.create("test", "127.0.0.1", 0, SHORT, null)
                .route("POST", "/v1/things", Body.json(1024), Handler.sync(call -> Reply.json(202, Map.of("size", call.body().length))))
                .route("GET", "/v1/things/{}", Body.NONE, Handler.sync(call -> Reply.json(200, Map.of("id", call.pathParam()))))
                .route("GET", "/v1/broken", Body.NONE, Handler.sync(call -> {
                    throw new IllegalStateException("a bug with secret input");
                }))
                .route("GET", "/v1/later", Body.NONE, call -> CompletableFuture.supplyAsync(() -> Reply.json(200, Map.of("late", true))))
                .start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void routesAreExactAndWrongMethodsGet405WithAllow() throws Exception {
        assertThat(post("/v1/things", "application/json", "{}").statusCode()).isEqualTo(202);
        assertError(post("/v1/things/extra/more", "application/json", "{}"), 404, "NOT_FOUND");
        assertError(post("/v1/thingsx", "application/json", "{}"), 404, "NOT_FOUND");
        HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(uri("/v1/things")).GET().build());
        assertError(wrongMethod, 405, "METHOD_NOT_ALLOWED");
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
    }

    @Test
    void jsonRoutesTakeApplicationJsonOnly() throws Exception {
        assertThat(post("/v1/things", "application/json; charset=utf-8", "{}").statusCode()).isEqualTo(202);
        assertError(post("/v1/things", "application/jsonx", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
        assertError(post("/v1/things", "application/json; charset=latin1", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
        assertError(post("/v1/things", "text/plain", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
    }

    @Test
    void aPathParameterIsOneDecodedSegmentNeverDotOrDotDot() throws Exception {
        assertThat(JSON(get("/v1/things/acct%2D1")).get("id").asText()).isEqualTo("acct-1");
        assertThat(get("/v1/things/%2E").statusCode()).isEqualTo(400);
        assertThat(get("/v1/things/%2E%2E").statusCode()).isEqualTo(400);
        assertThat(get("/v1/things/a%2Fb").statusCode()).isEqualTo(400);
        assertThat(get("/v1/things/%C0%AF").statusCode()).as("overlong UTF-8").isEqualTo(400);
        assertThat(HttpServer.decodeSegment("%E2%82%AC")).isEqualTo("\u20ac");
        assertThat(HttpServer.decodeSegment("%ED%A0%80")).as("an encoded surrogate").isNull();
    }

    @Test
    void anUnexpectedErrorIsAJson500ThatLeaksNothing() throws Exception {
        HttpResponse<String> response = get("/v1/broken");
        assertError(response, 500, "INTERNAL_ERROR");
        assertThat(response.body()).doesNotContain("secret");
        assertThat(get("/v1/later").statusCode()).isEqualTo(200);
    }

    @Test
    void aDeclaredOversizeBodyGets413AtOnceWithoutBeingRead() throws Exception {
        try (Socket socket = socket()) {
            write(socket, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n");
            String answer = readAnswer(socket);
            assertThat(answer).startsWith("HTTP/1.1 413").contains("BODY_TOO_LARGE");
        }
        try (Socket socket = socket()) {
            write(socket, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1025\r\n\r\n");
            assertThat(readAnswer(socket)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void aBodyLargerThanTheLimitWithoutADeclaredLengthGets413() throws Exception {
        try (Socket socket = socket()) {
            write(socket, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "800\r\n" + "x".repeat(0x800) + "\r\n0\r\n\r\n");
            assertThat(readAnswer(socket)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void aBodyThatDoesNotArriveInTimeGets408() throws Exception {
        try (Socket socket = socket()) {
            write(socket, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
            long started = System.nanoTime();
            String answer = readAnswer(socket);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("REQUEST_TIMEOUT");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void headersDrippedSlowerThanTheHeaderTimeoutLoseTheirConnection() throws Exception {
        try (Socket socket = socket()) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /v1/things/a HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long started = System.nanoTime();
            int read = socket.getInputStream().read();
            assertThat(read).as("closed without an answer").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(4));
        }
    }

    @Test
    void slowClientsHoldNoThreads() throws Exception {
        // 64 connections dripping headers, on a server with 8 threads: a normal request is still answered at once
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Socket socket = socket();
                write(socket, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{");
                slow.add(socket);
            }
            assertThat(post("/v1/things", "application/json", "{}").statusCode()).isEqualTo(202);
            // answered while every slow request still waits for its body: not after a body timeout freed a thread
            // (a causal check rather than a wall-clock bound, which a loaded CI machine breaks)
            for (Socket socket : slow) {
                assertThat(socket.getInputStream().available()).as("no slow request answered yet").isZero();
            }
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void badRequestLinesAreAnsweredInJson() throws Exception {
        try (Socket socket = socket()) {
            write(socket, "GET /v1/things/a HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
            String answer = readAnswer(socket);
            assertThat(answer).startsWith("HTTP/1.1 431").contains("application/json").contains("HEADERS_TOO_LARGE");
        }
    }

    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static JsonNode JSON(HttpResponse<String> response) throws IOException {
        return Reply.JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(JSON(response).get("error").asText()).isEqualTo(code);
        assertThat(JSON(response).get("message").asText()).isNotBlank();
    }

    private Socket socket() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** Reads until the peer closes or the answer's body is complete. */
    private static String readAnswer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[8192];
        while (true) {
            int read;
            try {
                read = in.read(buffer);
            } catch (java.net.SocketException e) {
                break;
            }
            if (read < 0) {
                break;
            }
            answer.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
            int headersEnd = answer.indexOf("\r\n\r\n");
            if (headersEnd >= 0) {
                var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(answer);
                if (length.find() && answer.length() >= headersEnd + 4 + Integer.parseInt(length.group(1))) {
                    break;
                }
            }
        }
        return answer.toString();
    }
}
