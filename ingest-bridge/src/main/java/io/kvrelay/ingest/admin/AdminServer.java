package io.kvrelay.ingest.admin;

import static io.kvrelay.http.Routes.Mode.WORKER;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.HttpError;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.Probes;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Request;
import io.kvrelay.http.Routes;
import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.pods.PodRegistry;
import io.kvrelay.schemas.BearerToken;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge's HTTP endpoint, on the shared server layer ({@link HttpServer}: limits, timeouts, JSON errors):
 * <ul>
 *   <li>{@code GET /health}: 200 when running and Kafka accepts records, else 503, with the reason</li>
 *   <li>{@code GET /metrics}: Prometheus text</li>
 *   <li>{@code GET /pods}: every subscribed pod with its workers' liveness, its address and load</li>
 *   <li>{@code POST /pods}: subscribe to a pod (a {@link PodConfig} as JSON); 201, 400 or 409</li>
 *   <li>{@code DELETE /pods/{namespace}/{service}/{pod}}: unsubscribe; emits WorkerReset(POD_REMOVED); 200 or 404</li>
 *   <li>POST and DELETE need {@code Authorization: Bearer <admin.token>} (401); without a token configured they
 *       are refused (403): reads stay open for probes and scrapers</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final int MAX_BODY = 64 * 1024;

    private final IngestBridge bridge;
    private final AdminConfig cfg;
    private final ObjectMapper json = ConfigLoader.json();
    private final String token;
    private HttpServer server;

    public AdminServer(IngestBridge bridge, AdminConfig cfg) {
        this.bridge = bridge;
        this.cfg = cfg;
        this.token = cfg.token();
    }

    public AdminServer start() {
        HttpLimits limits = HttpLimits.defaults().withWorkerThreads(2).withMaxConnections(256)
                .withMaxBodyBytes(MAX_BODY);
        try {
            server = new HttpServer("bridge-admin", cfg.host(), cfg.port(), 1, limits, routes(), json,
                    AdminServer::error, bridge.metrics().registry());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the admin port", e);
        }
        return this;
    }

    public int port() {
        return server.port();
    }

    private Routes routes() {
        // Ready: running, Kafka takes the records (what the bridge is for), and a fleet member is still in its group;
        // /health says the same with details.
        return Probes.add(new Routes(), bridge::unhealthyReason)
                .get("/health", r -> health())
                .add("GET", "/metrics", WORKER, 0, r -> Reply.metrics(bridge.metrics().scrape()))
                .add("GET", "/pods", WORKER, 0, r -> Reply.ok(listPods()))
                .add("POST", "/pods", WORKER, MAX_BODY, this::addPod)
                .add("GET", "/pods/{ns}/{service}/{pod}", WORKER, 0, r -> {
                    String id = podId(r);
                    return bridge.registry().get(id).map(p -> Reply.ok(describe(p)))
                            .orElseThrow(() -> HttpError.notFound("pod " + id + " is not subscribed"
                                    + (bridge.catalog().get(id).isPresent() ? " here (another bridge of the fleet"
                                    + " runs it, or it could not start: see the log)" : "")));
                })
                .add("DELETE", "/pods/{ns}/{service}/{pod}", WORKER, 0, r -> {
                    authorize(r);
                    String id = podId(r);
                    return bridge.removePod(id).map(p -> Reply.ok(Map.of("removed", id)))
                            .orElseThrow(() -> HttpError.notFound("pod " + id + " is not subscribed"));
                });
    }

    /** The bridge's own failures as statuses, here and nowhere else. */
    private static HttpError error(Throwable t) {
        if (t instanceof PodRegistry.PodExistsException) {
            return new HttpError(409, String.valueOf(t.getMessage()));
        }
        if (t instanceof PodRegistry.CapacityExceededException) {
            return new HttpError(507, String.valueOf(t.getMessage()));
        }
        if (t instanceof ConfigLoader.InvalidConfigException) {
            return HttpError.badRequest(String.valueOf(t.getMessage()));
        }
        if (t instanceof IllegalStateException) {
            return HttpError.unavailable(String.valueOf(t.getMessage()), 1000);
        }
        return null;
    }

    private void authorize(Request r) {
        if (token == null) {
            throw HttpError.forbidden("pod changes through the admin API are disabled: set admin.token");
        }
        if (!BearerToken.matches(r.header("Authorization"), token)) {
            throw HttpError.unauthorized("missing or wrong bearer token");
        }
    }

    private static String podId(Request r) {
        return r.param("ns") + "/" + r.param("service") + "/" + r.param("pod");
    }

    private Reply health() {
        boolean ok = bridge.healthy();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "UP" : "DOWN");
        body.put("state", bridge.state().name());
        body.put("handoffDepth", bridge.handoffDepth());
        body.put("pods", bridge.registry().pods().size());
        body.put("knownPods", bridge.catalog().desired().size());
        bridge.fleet().ifPresent(f -> body.put("fleet", Map.of("slots", f.ownedSlots().size(), "of", f.slots())));
        if (!ok && bridge.state() == IngestBridge.State.RUNNING) {
            body.put("reason", bridge.unhealthyReason());
        }
        return Reply.of(ok ? 200 : 503, body);
    }

    private Reply addPod(Request r) throws InterruptedException {
        authorize(r);
        PodConfig pod = ConfigLoader.parse(new String(r.body(), StandardCharsets.UTF_8), PodConfig.class);
        if (pod == null) {
            throw HttpError.badRequest("body must be a pod as a JSON object");
        }
        IngestBridge.Added added = bridge.addPod(pod);
        if (added.running().isPresent()) {
            return Reply.of(201, describe(added.running().get()));
        }
        // Kept for every bridge; the one owning its slot runs it.
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", pod.key().id());
        m.put("config", pod);
        m.put("state", "ACCEPTED");
        m.put("runBy", "another bridge of the fleet (the owner of its slot)");
        return Reply.of(202, m);
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

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
