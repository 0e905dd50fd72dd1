package io.kvrelay.stream.http;

import static io.kvrelay.http.Routes.Mode.WORKER;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.HttpError;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.Probes;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Request;
import io.kvrelay.http.Routes;
import io.kvrelay.schemas.BearerToken;
import io.kvrelay.schemas.PodCommandWriter;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.stream.query.ClusterQueries;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The HTTP adapter of the query API, on the shared server layer ({@link HttpServer}); all logic lives in
 * {@link ClusterQueries}. Outcomes map to statuses here and nowhere else: Found 200, NotFound 404, Unavailable 503
 * with {@code Retry-After}, bad input 400. {@code ?scope=local} answers from this instance's partitions only (what
 * other instances use when they fan out).
 */
public final class QueryHttpServer implements AutoCloseable {
    /** 65,536 keys (the request's bound) as JSON strings fit in this. */
    private static final int MAX_PREFIX_MATCH_BODY = 4 * 1024 * 1024;

    private final HttpServer server;
    private final Supplier<ClusterQueries> queries;
    private final Supplier<String> health;
    private final PrometheusMeterRegistry metrics;
    private final PodCommandWriter commands;
    private final String adminToken;

    /**
     * Binds at once: the port is known before Kafka Streams is built.
     *
     * @param queries  null until Kafka Streams is built
     * @param health   null when healthy, else the reason
     * @param commands null disables drain/undrain
     */
    public QueryHttpServer(String host, int port, HttpLimits limits, ObjectMapper json,
                           Supplier<ClusterQueries> queries, Supplier<String> health, PrometheusMeterRegistry metrics,
                           PodCommandWriter commands, String adminToken) throws InterruptedException {
        this.queries = queries;
        this.health = health;
        this.metrics = metrics;
        this.commands = commands;
        this.adminToken = adminToken;
        this.server = new HttpServer("stream-app", host, port, 0, limits, routes(), json, e -> null, metrics);
    }

    public int port() {
        return server.port();
    }

    private Routes routes() {
        // Ready: running with its stores restored (the same as /health, which stays for older checks).
        return Probes.add(new Routes(), health)
                .get("/health", r -> {
                    String down = health.get();
                    if (down != null) {
                        throw new HttpError(503, down, Map.of("status", "DOWN", "reason", down,
                                "retryAfterMs", 1000));
                    }
                    return Reply.ok(Map.of("status", "UP"));
                })
                .add("GET", "/metrics", WORKER, 0, r -> Reply.metrics(metrics.scrape()))
                .get("/v1/instances", r -> Reply.ok(Map.of("instances", queries().instances())))
                // Cluster answers wait on other instances: on a worker.
                .add("POST", "/v1/prefix-match", WORKER, MAX_PREFIX_MATCH_BODY, r -> {
                    ClusterQueries q = queries();
                    PrefixMatchRequest req = PrefixMatchJson.parse(r.jsonBody());
                    return outcome(local(r) ? q.localPrefixMatch(req)
                            : q.prefixMatch(req, r.json().writeValueAsBytes(PrefixMatchJson.forward(req))));
                })
                .add("GET", "/v1/services/{ns}/{service}/pods", WORKER, 0, r -> {
                    ClusterQueries q = queries();
                    return outcome(local(r) ? q.local().pods(r.param("ns"), r.param("service"))
                            : q.pods(r.param("ns"), r.param("service")));
                })
                .add("GET", "/v1/pods/{ns}/{service}/{pod}", WORKER, 0, r -> {
                    ClusterQueries q = queries();
                    return outcome(local(r) ? q.local().pod(r.param("ns"), r.param("service"), r.param("pod"))
                            : q.pod(r.param("ns"), r.param("service"), r.param("pod")));
                })
                .add("POST", "/v1/pods/{ns}/{service}/{pod}/drain", WORKER, 16 * 1024, r -> podCommand(r, true))
                .add("POST", "/v1/pods/{ns}/{service}/{pod}/undrain", WORKER, 16 * 1024, r -> podCommand(r, false));
    }

    private ClusterQueries queries() {
        ClusterQueries q = queries.get();
        if (q == null) {
            throw HttpError.unavailable("starting", 1000);
        }
        return q;
    }

    private static boolean local(Request r) {
        return "local".equals(r.query("scope"));
    }

    private Reply podCommand(Request r, boolean drain) throws Exception {
        if (commands == null || adminToken.isEmpty()) {
            throw HttpError.forbidden("drain/undrain are disabled: set adminToken");
        }
        if (!BearerToken.matches(r.header("Authorization"), adminToken)) {
            throw HttpError.unauthorized("Authorization: Bearer <adminToken> required");
        }
        JsonNode body = r.jsonBody();
        String operator = body.path("operator").asText("");
        String reason = body.path("reason").asText("");
        String ns = r.param("ns");
        String service = r.param("service");
        String pod = r.param("pod");
        commands.send(new PodCommand(ns, service, pod, drain, operator, reason, System.currentTimeMillis() * 1_000));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pod", ns + "/" + service + "/" + pod);
        out.put("drained", drain);
        out.put("note", "applied once stream-app reads it from the pod-status topic (milliseconds)");
        return Reply.of(202, out);
    }

    private static Reply outcome(QueryOutcome<?> o) {
        if (o instanceof QueryOutcome.Found<?> f) {
            return Reply.ok(f.value());
        }
        if (o instanceof QueryOutcome.NotFound<?> n) {
            throw HttpError.notFound(n.message());
        }
        QueryOutcome.Unavailable<?> u = (QueryOutcome.Unavailable<?>) o;
        throw HttpError.unavailable(u.reason(), u.retryAfterMs());
    }

    @Override
    public void close() {
        server.close();
    }
}
