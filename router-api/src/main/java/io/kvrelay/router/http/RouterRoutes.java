package io.kvrelay.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.router.admin.PodDrainer;
import io.kvrelay.router.clients.StreamAppClient;
import io.kvrelay.router.decide.RouteDecider;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.router.decide.RouteResult;
import io.kvrelay.router.decisions.DecisionPublisher;
import io.kvrelay.router.http.RouterHttpServer.Reply;
import io.kvrelay.router.http.RouterHttpServer.Request;
import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.links.LinkDecision;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.links.LinkWrite;
import io.kvrelay.router.scoring.InFlight;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.BearerToken;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Every router endpoint, mapped onto the decider, the link service (seed 004's operations) and the service-state
 * cache (seed 003's). Paths and bodies are described in {@code router-api/openapi.yaml}.
 */
public final class RouterRoutes {
    private final RouteDecider decider;
    private final LinkService links;
    private final ServiceStateCache states;
    private final DecisionPublisher decisions;
    private final PodDrainer drainer;
    private final String adminToken;
    private final String routerId;
    private final Timer routeTimer;
    private final Counter staleDecisions;
    private final InFlightLedger inFlight;

    /**
     * @param decisions null = decisions are not published
     * @param drainer   null = drain/undrain through the router are refused (no Kafka configured)
     */
    public RouterRoutes(RouteDecider decider, LinkService links, ServiceStateCache states,
                        DecisionPublisher decisions, PodDrainer drainer, String adminToken, String routerId,
                        InFlightLedger inFlight, MeterRegistry registry) {
        this.decider = decider;
        this.inFlight = inFlight;
        this.links = links;
        this.states = states;
        this.decisions = decisions;
        this.drainer = drainer;
        this.adminToken = adminToken == null ? "" : adminToken;
        this.routerId = routerId;
        this.routeTimer = Timer.builder("kvrelay.router.route").publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry);
        this.staleDecisions = Counter.builder("kvrelay.router.decisions.stale")
                .description("decisions that chose a pod on its last known state (pipeline or stream-app behind)")
                .register(registry);
        Gauge.builder("kvrelay.router.pods.stale", states, ServiceStateCache::stalePods)
                .description("pods of the cached services that are routed on their last known state").register(registry);
    }

    Reply handle(Request r) throws Exception {
        String[] p = r.path();
        String m = r.method();
        if (p.length == 1 && p[0].equals("health")) {
            return Reply.ok(Map.of("status", "UP", "stateCache", states.stats()));
        }
        if (p.length < 2 || !p[0].equals("v1")) {
            return Reply.error(404, "no such endpoint: " + m + " /" + String.join("/", p));
        }
        switch (p[1]) {
            case "route":
                return method(m, "POST", () -> route(RouteRequestJson.read(r.json().getFactory(), r.raw())));
            case "links":
                return links(r);
            case "links-batch":
                return method(m, "POST", () -> Reply.ok(links.batchGetLinkedPod(text(r.body(), "namespace"),
                        text(r.body(), "service"), strings(r.body(), "users"))));
            case "services":
                return services(r);
            case "state-cache":
                return method(m, "GET", () -> Reply.ok(states.stats()));
            default:
                return Reply.error(404, "no such endpoint: " + m + " /" + String.join("/", p));
        }
    }

    private Reply route(RouteRequest req) throws StreamAppClient.Unavailable {
        long t0 = System.nanoTime();
        RouteResult res = decider.route(req);
        routeTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        if (res.stale()) {
            staleDecisions.increment();
        }
        if (decisions != null) {
            decisions.offer(decision(req, res));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pod", res.pod() == null ? null : Map.of("name", res.pod().pod(),
                "index", res.pod().podIndex() == null ? -1 : res.pod().podIndex(),
                "address", res.pod().address() == null ? "" : res.pod().address()));
        out.put("predictedTtftMs", res.score() == null ? null : res.score().cost());
        out.put("matchedBlocks", res.matchedBlocks());
        out.put("totalBlocks", res.totalBlocks());
        out.put("sticky", res.sticky());
        out.put("reason", res.reason());
        out.put("linkOutcome", res.linkOutcome());
        out.put("redisAvailable", res.redisAvailable());
        out.put("indexAvailable", res.indexAvailable());
        out.put("stale", res.stale());
        out.put("stateAgeMs", res.stateAgeMs());
        List<Map<String, Object>> cands = new ArrayList<>();
        for (PodScorer.Score s : res.candidates()) {
            cands.add(Map.of("pod", s.pod().pod(), "matched", s.matched(), "gpuMatched", s.gpuMatched(),
                    "memoryMatched", s.memoryMatched(), "cost", s.cost(), "queuedMs", s.queuedMs(),
                    "prefillMs", s.prefillMs(), "overloaded", s.overloaded(), "stale", s.pod().stale(),
                    "suspect", s.pod().suspect()));
        }
        out.put("candidates", cands);
        out.put("latencyMicros", res.latencyMicros());
        return new Reply(res.pod() == null ? 503 : 200, out);
    }

    private RouteDecision decision(RouteRequest req, RouteResult res) {
        // The decider's own keys: analytics would otherwise need the block size it used.
        List<Long> keys = new ArrayList<>(res.blockKeys().length);
        for (long k : res.blockKeys()) {
            keys.add(k);
        }
        List<CandidateScore> cands = new ArrayList<>();
        for (PodScorer.Score s : res.candidates()) {
            cands.add(new CandidateScore(s.pod().pod(), s.matched(), s.gpuMatched(), s.cost(), s.pod().running(),
                    s.pod().waiting(), s.pod().kvCacheUsage(), s.queuedMs()));
        }
        return RouteDecision.newBuilder().setNamespace(req.namespace()).setService(req.service())
                .setUserId(req.userId()).setLoraName(req.lora()).setBlockKeys(keys)
                .setChosenPod(res.pod() == null ? null : res.pod().id()).setReason(res.reason())
                .setSticky(res.sticky()).setRedisAvailable(res.redisAvailable())
                .setIndexAvailable(res.indexAvailable()).setCandidates(cands).setLatencyMicros(res.latencyMicros())
                .setAtMicros(System.currentTimeMillis() * 1000).setRouterId(routerId)
                .setPrefillMs(res.score() == null ? null : res.score().prefillMs()).build();
    }

    private Reply links(Request r) throws Exception {
        String[] p = r.path();
        String m = r.method();
        JsonNode b = r.body();
        // POST /v1/links/compute {namespace, service, userId}: seed ComputeLinkedPod without a prompt
        if (p.length == 3 && p[2].equals("compute")) {
            return method(m, "POST", () -> {
                String ns = text(b, "namespace");
                String service = text(b, "service");
                long tie = text(b, "userId").hashCode();
                Optional<PodInfo> best = states.bestPod(ns, service, tie, inFlight.view(ns, service));
                List<PodInfo> routable = states.routablePods(ns, service);
                LinkDecision d = links.computeLinkedPod(ns, text(b, "userId"), service,
                        pod -> routable.stream().anyMatch(x -> x.pod().equals(pod)),
                        () -> best.map(PodInfo::pod).orElse(null));
                return new Reply(d.pod() == null ? 503 : 200, d);
            });
        }
        // /v1/links/{ns}/{user}
        if (p.length == 4) {
            if (m.equals("GET")) {
                return Reply.ok(links.getLinkService(p[2], p[3]));
            }
            if (m.equals("DELETE")) {
                requireAdmin(r);
                return Reply.ok(Map.of("deleted", links.deleteLinks(p[2], p[3])));
            }
            return Reply.error(405, "use GET or DELETE");
        }
        // /v1/links/{ns}/{user}/{service}
        if (p.length == 5) {
            if (m.equals("GET")) {
                String from = Optional.ofNullable(r.queryParam("from")).orElse("cache-then-store");
                Optional<String> pod = switch (from) {
                    case "cache-then-store" -> links.getLinkedPod(p[2], p[3], p[4]);
                    case "cache-or-persist" -> links.getLinkedPodInCacheOrIfPersist(p[2], p[3], p[4]);
                    case "store" -> links.getLinkedPodNotCache(p[2], p[3], p[4]);
                    case "cache" -> links.getLinkedInCache(p[2], p[3], p[4]);
                    default -> throw new IllegalArgumentException(
                            "from must be cache-then-store, cache-or-persist, store or cache; got " + from);
                };
                return pod.<Reply>map(x -> Reply.ok(Map.of("pod", x, "from", from)))
                        .orElse(Reply.error(404, "no link"));
            }
            if (m.equals("POST")) {
                LinkWrite w = links.setLinkedPodIfAbsent(p[2], p[3], p[4], text(b, "pod"));
                return new Reply(w.written() ? 201 : 200, w);
            }
            return Reply.error(405, "use GET or POST");
        }
        // /v1/links/{ns}/{user}/{service}/cache
        if (p.length == 6 && p[5].equals("cache")) {
            if (m.equals("DELETE")) {
                links.cacheExpired(p[2], p[3], p[4]);
                return Reply.ok(Map.of("expired", true));
            }
            if (m.equals("PUT")) {
                links.setCache(p[2], p[3], p[4], text(b, "pod"));
                return Reply.ok(Map.of("cached", text(b, "pod")));
            }
            return Reply.error(405, "use DELETE or PUT");
        }
        return Reply.error(404, "no such links endpoint");
    }

    private Reply services(Request r) throws Exception {
        String[] p = r.path();
        // POST /v1/services/{ns}/{service}/pods/{pod}/drain|undrain (admin)
        if (p.length == 7 && p[4].equals("pods") && (p[6].equals("drain") || p[6].equals("undrain"))) {
            return method(r.method(), "POST", () -> drain(r, p[2], p[3], p[5], p[6].equals("drain")));
        }
        if (p.length < 5 || !r.method().equals("GET")) {
            return Reply.error(404, "no such endpoint");
        }
        String ns = p[2];
        String service = p[3];
        // /v1/services/{ns}/{service}/best-pod
        if (p.length == 5 && p[4].equals("best-pod")) {
            Optional<PodInfo> best = states.bestPod(ns, service, 0, inFlight.view(ns, service));
            return best.<Reply>map(Reply::ok).orElse(Reply.error(404, "no routable pod in " + ns + "/" + service));
        }
        // /v1/services/{ns}/{service}/in-flight: the work routers just sent to each pod, as this replica counts it
        if (p.length == 5 && p[4].equals("in-flight")) {
            InFlight f = inFlight.view(ns, service);
            List<Map<String, Object>> pods = new ArrayList<>();
            for (PodInfo pod : states.pods(ns, service)) {
                pods.add(Map.of("pod", pod.pod(), "queuedMs", f.queuedMs(pod.pod()),
                        "unreported", f.unreported(pod.pod())));
            }
            return Reply.ok(Map.of("routerId", routerId, "pods", pods));
        }
        // /v1/services/{ns}/{service}/pods?filter=alive|routable|all
        if (p.length == 5 && p[4].equals("pods")) {
            String filter = Optional.ofNullable(r.queryParam("filter")).orElse("all");
            List<PodInfo> pods = switch (filter) {
                case "all" -> states.pods(ns, service);
                case "alive" -> states.alivePods(ns, service);
                case "routable" -> states.routablePods(ns, service);
                default -> throw new IllegalArgumentException("filter must be all, alive or routable; got " + filter);
            };
            Duration age = states.staleness(ns, service);
            return Reply.ok(Map.of("pods", pods, "stateAgeMs", age == null ? 0 : age.toMillis()));
        }
        // /v1/services/{ns}/{service}/pods/{pod}/available|routable
        if (p.length == 7 && p[4].equals("pods")) {
            return switch (p[6]) {
                case "available" -> Reply.ok(Map.of("available", states.isPodAvailable(ns, service, p[5])));
                case "routable" -> Reply.ok(Map.of("routable", states.isPodRoutable(ns, service, p[5])));
                default -> Reply.error(404, "use .../available or .../routable");
            };
        }
        return Reply.error(404, "no such endpoint");
    }

    private Reply drain(Request r, String ns, String service, String pod, boolean drain) throws Exception {
        requireAdmin(r);
        if (drainer == null) {
            throw new NotAllowed(403, "drain/undrain are disabled on this router: set kafkaBootstrap");
        }
        JsonNode b = r.body();
        PodDrainer.Outcome o = drainer.set(ns, service, pod, drain, b == null ? null : optText(b, "operator"),
                b == null ? null : optText(b, "reason"));
        // 200 once stream-app shows it; 202 when written but not visible yet (stream-app away, or unknown pod).
        return new Reply(o.applied() ? 200 : 202, o);
    }

    private void requireAdmin(Request r) {
        if (adminToken.isEmpty()) {
            throw new NotAllowed(403, "admin operations are disabled: set adminToken");
        }
        if (!BearerToken.matches(r.authorization(), adminToken)) {
            throw new NotAllowed(401, "Authorization: Bearer <adminToken> required");
        }
    }

    /** An admin call without the right token. */
    static final class NotAllowed extends RuntimeException {
        final int status;

        NotAllowed(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @FunctionalInterface
    private interface Body {
        Reply get() throws Exception;
    }

    private static Reply method(String actual, String expected, Body body) throws Exception {
        if (!actual.equals(expected)) {
            return Reply.error(405, "use " + expected);
        }
        return body.get();
    }

    static String text(JsonNode b, String field) {
        if (b == null || !b.hasNonNull(field) || !b.get(field).isTextual() || b.get(field).asText().isBlank()) {
            throw new IllegalArgumentException(field + " is required (a non-empty string)");
        }
        return b.get(field).asText();
    }

    static String optText(JsonNode b, String field) {
        if (b == null || !b.hasNonNull(field)) {
            return null;
        }
        if (!b.get(field).isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return b.get(field).asText();
    }

    static List<String> strings(JsonNode b, String field) {
        if (b == null || !b.has(field) || !b.get(field).isArray()) {
            throw new IllegalArgumentException(field + " is required (an array of strings)");
        }
        List<String> out = new ArrayList<>();
        b.get(field).forEach(x -> out.add(x.asText()));
        if (out.size() > 10_000) {
            throw new IllegalArgumentException("at most 10000 " + field);
        }
        return out;
    }
}
