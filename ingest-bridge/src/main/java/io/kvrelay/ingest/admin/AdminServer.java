package io.kvrelay.ingest.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.pods.PodRegistry;
import io.kvrelay.schemas.BearerToken;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's HTTP endpoint (JDK HttpServer):
 * <ul>
 *   <li>{@code GET /health}: 200 when running and Kafka accepts records, else 503, with the reason</li>
 *   <li>{@code GET /metrics}: Prometheus text</li>
 *   <li>{@code GET /pods}: every subscribed pod with its workers' liveness, its address and load</li>
 *   <li>{@code POST /pods}: subscribe to a pod (a {@link PodConfig} as JSON); 201, 400 or 409</li>
 *   <li>with {@code admin.token} set, POST and DELETE need {@code Authorization: Bearer <token>} (else 401)</li>
 *   <li>{@code DELETE /pods/{namespace}/{service}/{pod}}: unsubscribe; emits WorkerReset(POD_REMOVED); 200 or 404</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_BODY = 64 * 1024;

    private final IngestBridge bridge;
    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "admin-http");
        t.setDaemon(true);
        return t;
    });
    private final ObjectMapper json = ConfigLoader.json();
    private final String token;

    public AdminServer(IngestBridge bridge, AdminConfig cfg) throws IOException {
        this.bridge = bridge;
        this.token = cfg.token();
        this.server = HttpServer.create(new InetSocketAddress(cfg.host(), cfg.port()), 64);
        server.setExecutor(pool);
        server.createContext("/health", ex -> handle(ex, this::health));
        server.createContext("/metrics", ex -> handle(ex, this::metrics));
        server.createContext("/pods", ex -> handle(ex, this::pods));
    }

    public AdminServer start() {
        server.start();
        log.info("admin HTTP on {}", server.getAddress());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private record Response(int status, String contentType, byte[] body) {
        static Response json(int status, ObjectMapper m, Object body) throws IOException {
            return new Response(status, "application/json", m.writeValueAsBytes(body));
        }
    }

    @FunctionalInterface
    private interface Handler {
        Response handle(HttpExchange ex) throws Exception;
    }

    private void handle(HttpExchange ex, Handler h) throws IOException {
        Response r;
        try {
            r = authorized(ex) ? h.handle(ex) : Response.json(401, json, Map.of("error", "missing or wrong bearer token"));
        } catch (PodRegistry.PodExistsException e) {
            r = Response.json(409, json, Map.of("error", String.valueOf(e.getMessage())));
        } catch (PodRegistry.CapacityExceededException e) {
            r = Response.json(507, json, Map.of("error", String.valueOf(e.getMessage())));
        } catch (IllegalStateException e) {
            r = Response.json(503, json, Map.of("error", String.valueOf(e.getMessage())));
        } catch (ConfigLoader.InvalidConfigException | IllegalArgumentException e) {
            r = Response.json(400, json, Map.of("error", String.valueOf(e.getMessage())));
        } catch (Exception e) {
            log.warn("admin request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            r = Response.json(500, json, Map.of("error", String.valueOf(e)));
        }
        ex.getResponseHeaders().set("Content-Type", r.contentType());
        ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(r.body());
        }
    }

    /** Reads are open (probes, scrapers); changes need the token when one is configured. */
    private boolean authorized(HttpExchange ex) {
        String m = ex.getRequestMethod();
        if (token == null || m.equals("GET") || m.equals("HEAD")) {
            return true;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        return BearerToken.matches(auth, token);
    }

    private Response health(HttpExchange ex) throws IOException {
        boolean ok = bridge.healthy();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "UP" : "DOWN");
        body.put("state", bridge.state().name());
        body.put("handoffDepth", bridge.handoffDepth());
        body.put("pods", bridge.registry().pods().size());
        if (!ok && bridge.state() == IngestBridge.State.RUNNING) {
            body.put("reason", "Kafka is not accepting records");
        }
        return Response.json(ok ? 200 : 503, json, body);
    }

    private Response metrics(HttpExchange ex) {
        return new Response(200, "text/plain; version=0.0.4; charset=utf-8",
                bridge.metrics().scrape().getBytes(StandardCharsets.UTF_8));
    }

    private Response pods(HttpExchange ex) throws Exception {
        String method = ex.getRequestMethod();
        // Raw path, decoded once: getPath() is already decoded, and decoding again would turn '+' into ' '.
        String rest = ex.getRequestURI().getRawPath().substring("/pods".length());
        if (rest.isEmpty() || rest.equals("/")) {
            return switch (method) {
                case "GET" -> Response.json(200, json, listPods());
                case "POST" -> addPod(ex);
                default -> Response.json(405, json, Map.of("error", "use GET or POST on /pods"));
            };
        }
        String podId = URLDecoder.decode(rest.substring(1), StandardCharsets.UTF_8);
        return switch (method) {
            case "GET" -> bridge.registry().get(podId)
                    .map(p -> uncheckedJson(200, describe(p)))
                    .orElseGet(() -> uncheckedJson(404, Map.of("error", "pod " + podId + " is not subscribed")));
            case "DELETE" -> bridge.removePod(podId)
                    .map(p -> uncheckedJson(200, Map.of("removed", podId)))
                    .orElseGet(() -> uncheckedJson(404, Map.of("error", "pod " + podId + " is not subscribed")));
            default -> Response.json(405, json, Map.of("error", "use GET or DELETE on /pods/{namespace}/{service}/{pod}"));
        };
    }

    private Response addPod(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            return Response.json(413, json, Map.of("error", "body larger than " + MAX_BODY + " bytes"));
        }
        PodConfig pod = ConfigLoader.parse(new String(body, StandardCharsets.UTF_8), PodConfig.class);
        if (pod == null) {
            return Response.json(400, json, Map.of("error", "body must be a pod as a JSON object"));
        }
        return Response.json(201, json, describe(bridge.addPod(pod)));
    }

    private List<Map<String, Object>> listPods() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PodRegistry.RunningPod p : bridge.registry().pods()) {
            out.add(describe(p));
        }
        return out;
    }

    private Map<String, Object> describe(PodRegistry.RunningPod p) {
        PodStatus s = bridge.statusReporter().status(p);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.config().key().id());
        m.put("config", p.config());
        m.put("state", s.getState().name());
        // Address and load as the next pod status will carry them (null: unknown).
        m.put("address", s.getAddress());
        m.put("runningRequests", s.getRunningRequests());
        m.put("waitingRequests", s.getWaitingRequests());
        m.put("kvCacheUsage", s.getKvCacheUsage());
        List<Map<String, Object>> workers = new ArrayList<>();
        for (WorkerStatus w : s.getWorkers()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("dpRank", w.getDpRank());
            wm.put("connected", w.getConnected());
            wm.put("lastSequence", w.getLastSequence());
            wm.put("lastEventAtMicros", w.getLastEventAtMicros());
            wm.put("batches", w.getBatches());
            wm.put("resets", w.getResets());
            wm.put("deadLettered", w.getDeadLettered());
            wm.put("replayRequests", w.getReplayRequests());
            workers.add(wm);
        }
        m.put("workers", workers);
        return m;
    }

    private Response uncheckedJson(int status, Object body) {
        try {
            return Response.json(status, json, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
