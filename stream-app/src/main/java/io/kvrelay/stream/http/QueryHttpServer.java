package io.kvrelay.stream.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvrelay.schemas.BearerToken;
import io.kvrelay.schemas.PodCommandWriter;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.stream.query.ClusterQueries;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP adapter of the query API (JDK HttpServer); all logic lives in {@link ClusterQueries}. Outcomes map to
 * statuses here and nowhere else: Found 200, NotFound 404, Unavailable 503 with {@code Retry-After}, bad input 400.
 * {@code ?scope=local} answers from this instance's partitions only (what other instances and routers fanning out use).
 */
public final class QueryHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QueryHttpServer.class);
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private final HttpServer server;
    private final ExecutorService pool;
    private final ObjectMapper json;
    private final Supplier<ClusterQueries> queries;
    private final Supplier<String> health;
    private final PrometheusMeterRegistry metrics;
    private final PodCommandWriter commands;
    private final String adminToken;

    /**
     * @param queries  null until Kafka Streams is built (the server starts first, to learn its port)
     * @param health   null when healthy, else the reason
     * @param commands null disables drain/undrain
     */
    public QueryHttpServer(String host, int port, ObjectMapper json, Supplier<ClusterQueries> queries,
                           Supplier<String> health, PrometheusMeterRegistry metrics, PodCommandWriter commands,
                           String adminToken) throws IOException {
        this.json = json;
        this.queries = queries;
        this.health = health;
        this.metrics = metrics;
        this.commands = commands;
        this.adminToken = adminToken;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
        this.pool = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "query-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
    }

    public QueryHttpServer start() {
        server.start();
        log.info("query API on http://{}:{}", server.getAddress().getHostString(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private record Reply(int status, Object body, Long retryAfterMs) {
        static Reply of(int status, Object body) {
            return new Reply(status, body, null);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply reply;
        try {
            reply = route(ex);
        } catch (IllegalArgumentException e) {
            reply = Reply.of(400, Map.of("error", e.getMessage()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            reply = Reply.of(400, Map.of("error", "invalid JSON: " + e.getOriginalMessage()));
        } catch (Exception e) {
            log.warn("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            reply = Reply.of(500, Map.of("error", "internal error: " + e));
        }
        try (ex) {
            byte[] body;
            String type = "application/json";
            if (reply.body() instanceof String text) {
                body = text.getBytes(StandardCharsets.UTF_8);
                type = "text/plain; version=0.0.4; charset=utf-8";
            } else {
                body = json.writeValueAsBytes(reply.body());
            }
            ex.getResponseHeaders().set("Content-Type", type);
            if (reply.retryAfterMs() != null) {
                ex.getResponseHeaders().set("Retry-After", String.valueOf(Math.max(1, reply.retryAfterMs() / 1000)));
            }
            ex.sendResponseHeaders(reply.status(), body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private Reply route(HttpExchange ex) throws Exception {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        boolean local = "scope=local".equals(ex.getRequestURI().getQuery());
        String[] seg = segments(path);
        if (path.equals("/health")) {
            String down = health.get();
            return down == null ? Reply.of(200, Map.of("status", "UP"))
                    : new Reply(503, Map.of("status", "DOWN", "reason", down), 1_000L);
        }
        if (path.equals("/metrics")) {
            return Reply.of(200, metrics.scrape());
        }
        ClusterQueries q = queries.get();
        if (q == null) {
            return new Reply(503, Map.of("error", "starting"), 1_000L);
        }
        if (path.equals("/v1/instances") && method.equals("GET")) {
            return Reply.of(200, Map.of("instances", q.instances()));
        }
        if (path.equals("/v1/prefix-match")) {
            requireMethod(method, "POST");
            JsonNode body = json.readTree(readBody(ex));
            PrefixMatchRequest req = PrefixMatchJson.parse(body);
            return outcome(local ? q.local().prefixMatch(req)
                    : q.prefixMatch(req, json.writeValueAsBytes(PrefixMatchJson.forward(req))));
        }
        // /v1/services/{ns}/{service}/pods
        if (seg.length == 5 && seg[1].equals("services") && seg[4].equals("pods")) {
            requireMethod(method, "GET");
            return outcome(local ? q.local().pods(seg[2], seg[3]) : q.pods(seg[2], seg[3]));
        }
        // /v1/pods/{ns}/{service}/{pod}
        if (seg.length == 5 && seg[1].equals("pods")) {
            requireMethod(method, "GET");
            return outcome(local ? q.local().pod(seg[2], seg[3], seg[4]) : q.pod(seg[2], seg[3], seg[4]));
        }
        // /v1/pods/{ns}/{service}/{pod}/drain|undrain
        if (seg.length == 6 && seg[1].equals("pods") && (seg[5].equals("drain") || seg[5].equals("undrain"))) {
            requireMethod(method, "POST");
            return podCommand(ex, seg[2], seg[3], seg[4], seg[5].equals("drain"));
        }
        return Reply.of(404, Map.of("error", "no such endpoint: " + method + " " + path));
    }

    private Reply podCommand(HttpExchange ex, String ns, String service, String pod, boolean drain) throws Exception {
        if (commands == null || adminToken.isEmpty()) {
            return Reply.of(403, Map.of("error", "drain/undrain are disabled: set adminToken"));
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (!BearerToken.matches(auth, adminToken)) {
            return Reply.of(401, Map.of("error", "Authorization: Bearer <adminToken> required"));
        }
        byte[] raw = readBody(ex);
        JsonNode body = raw.length == 0 ? json.createObjectNode() : json.readTree(raw);
        String operator = body.path("operator").asText("");
        String reason = body.path("reason").asText("");
        commands.send(new PodCommand(ns, service, pod, drain, operator, reason, System.currentTimeMillis() * 1_000));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pod", ns + "/" + service + "/" + pod);
        out.put("drained", drain);
        out.put("note", "applied once stream-app reads it from the pod-status topic (milliseconds)");
        return Reply.of(202, out);
    }

    private static Reply outcome(QueryOutcome<?> o) {
        if (o instanceof QueryOutcome.Found<?> f) {
            return Reply.of(200, f.value());
        }
        if (o instanceof QueryOutcome.NotFound<?> n) {
            return Reply.of(404, Map.of("error", n.message()));
        }
        QueryOutcome.Unavailable<?> u = (QueryOutcome.Unavailable<?>) o;
        return new Reply(503, Map.of("error", u.reason(), "retryAfterMs", u.retryAfterMs()), u.retryAfterMs());
    }

    private static void requireMethod(String actual, String expected) {
        if (!actual.equals(expected)) {
            throw new IllegalArgumentException("use " + expected + ", not " + actual);
        }
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw new IllegalArgumentException("body larger than " + MAX_BODY + " bytes");
            }
            return b;
        }
    }

    private static String[] segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        String[] s = p.split("/");
        for (int i = 0; i < s.length; i++) {
            s[i] = URLDecoder.decode(s[i], StandardCharsets.UTF_8);
        }
        return s;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
