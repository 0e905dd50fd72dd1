package io.kvrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server layer against real sockets: every limit, timeout and error a hostile or broken client meets. */
class HttpServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch clientGone = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        Routes routes = new Routes()
                .get("/health", r -> Reply.ok(Map.of("status", "UP")))
                .get("/items/{id}", r -> Reply.ok(Map.of("id", r.param("id"), "q", String.valueOf(r.query("q")))))
                .add("POST", "/items/{id}", Routes.Mode.WORKER, 64, r -> Reply.of(201,
                        Map.of("id", r.param("id"), "name", r.jsonBody().path("name").asText())))
                .add("POST", "/items/special", Routes.Mode.EVENT_LOOP, 0, r -> Reply.ok(Map.of("special", true)))
                .add("POST", "/echo", Routes.Mode.EVENT_LOOP, 0, r -> Reply.ok(r.jsonBody()))
                .add("GET", "/fail", Routes.Mode.EVENT_LOOP, 0, r -> {
                    throw new IllegalStateException("boom");
                })
                .add("GET", "/down", Routes.Mode.EVENT_LOOP, 0, r -> {
                    throw new java.io.UncheckedIOException(new IOException("redis"));
                })
                .addAsync("GET", "/later/{n}", Routes.Mode.EVENT_LOOP, 0, r -> CompletableFuture.supplyAsync(() -> {
                    try {
                        Thread.sleep(Long.parseLong(r.param("n")));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Reply.ok(Map.of("n", r.param("n")));
                }))
                .get("/stream/{n}", r -> Reply.ok(new Reply.Stream("text/event-stream", sink -> {
                    int n = Integer.parseInt(r.param("n"));
                    java.util.concurrent.ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
                    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
                    sink.onClientGone(() -> {
                        clientGone.countDown();
                        timer.shutdownNow();
                    });
                    timer.scheduleAtFixedRate(() -> {
                        int i = sent.getAndIncrement();
                        if (n > 0 && i >= n) {
                            sink.end();
                            timer.shutdown();
                        } else {
                            sink.send(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                        }
                    }, 0, 20, TimeUnit.MILLISECONDS);
                })))
                .add("GET", "/block", Routes.Mode.WORKER, 0, r -> {
                    release.await(30, TimeUnit.SECONDS);
                    return Reply.ok(Map.of());
                })
                .get("/headed", r -> Reply.ok(Map.of()).withHeader("x-served-by", "me"))
                .get("/headed-stream", r -> Reply.ok(new Reply.Stream("text/plain", sink -> {
                    sink.send("one".getBytes(StandardCharsets.UTF_8));
                    sink.end();
                })).withHeader("x-served-by", "me"))
                // Routes of another API, whose clients expect errors in their own shape.
                .errorShape(e -> Map.of("problem", Map.of("text", e.getMessage(), "status", e.status())))
                .add("POST", "/other/{id}", Routes.Mode.EVENT_LOOP, 32, r -> {
                    throw HttpError.badRequest("no " + r.param("id"));
                })
                .errorShape(null);
        ErrorMapper errors = t -> t instanceof java.io.UncheckedIOException ? HttpError.unavailable("Redis down", 1500)
                : null;
        HttpLimits limits = HttpLimits.defaults().withTimeouts(3_000, 5_000).withMaxConnections(300);
        server = new HttpServer("test", "127.0.0.1", 0, 2, limits, routes, JSON, errors);
    }

    /** A streamed body arrives piece by piece, ends, and the connection serves the next request. */
    @Test
    void streamsABodyThenServesTheNextRequest() throws Exception {
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<java.util.stream.Stream<String>> res = client.send(HttpRequest.newBuilder(
                URI.create(base + "/stream/5")).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValue("text/event-stream");
        assertThat(res.body().filter(l -> !l.isEmpty()).toList())
                .containsExactly("data: 0", "data: 1", "data: 2", "data: 3", "data: 4");
        HttpResponse<String> next = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(next.statusCode()).isEqualTo(200);
    }

    /** A client that leaves mid-stream is noticed: the producer is told and stops. */
    @Test
    void tellsTheProducerWhenTheClientLeavesMidStream() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write("GET /stream/0 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            int events = 0;
            for (String line = in.readLine(); line != null && events < 3; line = in.readLine()) {
                if (line.startsWith("data: ")) {
                    events++;
                }
            }
            assertThat(events).isEqualTo(3);
        }
        assertThat(clientGone.await(30, TimeUnit.SECONDS)).as("the producer heard the client go").isTrue();
    }

    @Test
    void healthProbeDecidesOnTheStatusLine() throws Exception {
        String base = "http://127.0.0.1:" + server.port();
        assertThat(HealthProbe.check(URI.create(base + "/health"), Duration.ofSeconds(10))).isTrue();
        // A body that says 200 does not make a 404, a 500 or a 503 healthy.
        assertThat(HealthProbe.check(URI.create(base + "/items/200"), Duration.ofSeconds(10))).isTrue();
        assertThat(HealthProbe.check(URI.create(base + "/no-such-path-200"), Duration.ofSeconds(10))).isFalse();
        assertThat(HealthProbe.check(URI.create(base + "/down"), Duration.ofSeconds(10))).isFalse();
        assertThat(HealthProbe.check(URI.create(base + "/fail"), Duration.ofSeconds(10))).isFalse();
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            int port = closed.getLocalPort();
            closed.close();
            assertThat(HealthProbe.check(URI.create("http://127.0.0.1:" + port + "/health"), Duration.ofSeconds(10)))
                    .isFalse();
        }
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    @Test
    void routesWithParametersQueriesAndLiteralsFirst() throws Exception {
        HttpResponse<String> r = get("/items/a%20b?q=x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("id").asText()).isEqualTo("a b");
        assertThat(json(r).path("q").asText()).isEqualTo("x");
        assertThat(json(send("POST", "/items/special", "")).path("special").asBoolean()).isTrue();
        HttpResponse<String> created = send("POST", "/items/7", "{\"name\":\"n\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(json(created).path("name").asText()).isEqualTo("n");
        assertThat(json(get("/later/50")).path("n").asText()).isEqualTo("50");
    }

    @Test
    void everyErrorIsJsonWithItsStatus() throws Exception {
        HttpResponse<String> notFound = get("/nope");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(json(notFound).path("error").asText()).contains("no such endpoint");
        HttpResponse<String> wrongMethod = send("DELETE", "/health", "");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).hasValue("GET");
        assertThat(json(wrongMethod).path("error").asText()).contains("use GET");
        HttpResponse<String> badJson = send("POST", "/echo", "{\"a\":");
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(json(badJson).path("error").asText()).startsWith("invalid JSON");
        HttpResponse<String> tooLarge = send("POST", "/items/1", "{\"name\":\"" + "x".repeat(100) + "\"}");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(json(tooLarge).path("limit").asInt()).isEqualTo(64);
        HttpResponse<String> internal = get("/fail");
        assertThat(internal.statusCode()).isEqualTo(500);
        assertThat(json(internal).path("error").asText()).doesNotContain("boom");
        HttpResponse<String> down = get("/down");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("retry-after")).hasValue("2");
        assertThat(json(down).path("retryAfterMs").asInt()).isEqualTo(1500);
        // The connection still serves after all of that.
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void handlersAddHeadersAndRoutesChooseTheirErrorShape() throws Exception {
        HttpResponse<String> headed = get("/headed");
        assertThat(headed.headers().firstValue("x-served-by")).hasValue("me");
        assertThat(headed.headers().firstValue("content-type")).hasValue("application/json");
        HttpResponse<String> streamed = get("/headed-stream");
        assertThat(streamed.headers().firstValue("x-served-by")).hasValue("me");
        assertThat(streamed.body()).isEqualTo("one");
        HttpResponse<String> shaped = send("POST", "/other/x", "{}");
        assertThat(shaped.statusCode()).isEqualTo(400);
        assertThat(json(shaped).path("problem").path("text").asText()).isEqualTo("no x");
        HttpResponse<String> shapedTooLarge = send("POST", "/other/x", "{\"a\":\"" + "x".repeat(100) + "\"}");
        assertThat(shapedTooLarge.statusCode()).isEqualTo(413);
        assertThat(json(shapedTooLarge).path("problem").path("status").asInt()).isEqualTo(413);
        HttpResponse<String> shapedBadJson = send("POST", "/other/x", "{");
        assertThat(shapedBadJson.statusCode()).isEqualTo(400);
        // Routes added after errorShape(null) keep kvrelay's shape.
        assertThat(json(get("/nope")).path("error").isTextual()).isTrue();
        assertThat(json(get("/fail")).path("error").isTextual()).isTrue();
    }

    @Test
    void malformedAndOversizedRequestsAreClientErrors() throws Exception {
        assertThat(raw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"))
                .startsWith("HTTP/1.1 400");
        assertThat(raw("POST /items/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "40\r\n" + "x".repeat(64) + "\r\n40\r\n" + "x".repeat(64) + "\r\n0\r\n\r\n")).startsWith("HTTP/1.1 413");
        assertThat(raw("POST /items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"))
                .startsWith("HTTP/1.1 413");
        assertThat(raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(20_000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431");
        assertThat(raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 414");
        assertThat(raw("NOT-HTTP\r\n\r\n")).startsWith("HTTP/1.1 4");
        assertThat(raw("GET /items/%zz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 400");
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        assertThat(send("POST", "/echo", deep).statusCode()).isLessThan(500);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET /later/200 HTTP/1.1\r\nHost: x\r\n\r\nGET /later/1 HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all.indexOf("\"200\"")).isPositive().isLessThan(all.indexOf("\"1\""));
        }
    }

    @Test
    void slowClientsHoldSocketsNotTheServer() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            long t0 = System.nanoTime();
            assertThat(get("/health").statusCode()).isEqualTo(200);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // Generous: the point is that it answers while 200 trickling clients are connected, not how fast.
            assertThat(ms).isLessThan(5_000);
            // ... and the trickling ones are told off and closed after the request timeout (3 s here).
            String answer = readAll(slow.get(0));
            assertThat(answer).startsWith("HTTP/1.1 408");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAndTheRestServe() throws Exception {
        server.close();
        server = new HttpServer("test", "127.0.0.1", 0, 1, HttpLimits.defaults().withMaxConnections(5),
                new Routes().get("/health", r -> Reply.ok(Map.of("status", "UP"))), JSON, ErrorMapper.NONE);
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                idle.add(s);
            }
            waitUntil(() -> server.connections() == 5);
            try (Socket extra = new Socket("127.0.0.1", server.port())) {
                extra.setSoTimeout(30_000);
                assertThat(extra.getInputStream().read()).isEqualTo(-1);
            }
            idle.remove(0).close();
            waitUntil(() -> server.connections() < 5);
            assertThat(get("/health").statusCode()).isEqualTo(200);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            // Idle timeout 5 s here: the server closes without a byte.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void blockingHandlersDoNotHoldTheEventLoop() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> blocked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            blocked.add(client.sendAsync(HttpRequest.newBuilder(uri("/block")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
        release.countDown();
        for (CompletableFuture<HttpResponse<String>> f : blocked) {
            assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    private String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return readAll(s);
        }
    }

    private static String readAll(Socket s) throws IOException {
        s.setSoTimeout(30_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                b.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            // reset after the answer: what was read is the answer
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static void waitUntil(java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(end);
            Thread.sleep(20);
        }
    }
}
