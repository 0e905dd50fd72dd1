package io.kvrelay.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.router.admin.PodDrainer;
import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.decide.RoutingDecisions;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.http.HttpError;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Request;
import io.kvrelay.http.Routes;
import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.links.LinkDecision;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.links.LinkWrite;
import io.kvrelay.router.scoring.InFlight;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.router.links.LinksUnavailableException;
import io.kvrelay.router.links.NamespaceNotOwnedException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.kvrelay.http.Routes.Mode.EVENT_LOOP;
import static io.kvrelay.http.Routes.Mode.WORKER;

/**
 * Every router endpoint, mapped onto the decider, the link service (seed 004's operations) and the service-state
 * cache (seed 003's). Paths and bodies are described in {@code router-api/openapi.yaml}; who may call what is
 * {@link Credentials}; every string a client can store is bounded ({@link Names}).
 */
public final class RouterRoutes {
    private final RoutingDecisions decisions;
    private final String routerId;
    private final LinkService links;
    private final ServiceStateCache states;
    private final PodDrainer drainer;
    private final Credentials credentials;
    private final PrometheusMeterRegistry metrics;
    private final InFlightLedger inFlight;
    /** @param drainer null = drain/undrain through the router are refused (no Kafka configured) */
    public RouterRoutes(RoutingDecisions decisions, LinkService links, ServiceStateCache states, PodDrainer drainer,
                        String adminToken, Map<String, String> namespaceTokens, String routerId,
                        InFlightLedger inFlight, PrometheusMeterRegistry registry) {
        this.decisions = decisions;
        this.routerId = routerId;
        this.inFlight = inFlight;
        this.links = links;
        this.states = states;
        this.drainer = drainer;
        this.credentials = new Credentials(adminToken, namespaceTokens);
        this.metrics = registry;
        Gauge.builder("kvrelay.router.pods.stale", states, ServiceStateCache::stalePods)
                .description("pods of the cached services that are routed on their last known state").register(registry);
        FunctionCounter.builder("kvrelay.router.state.refresh.failures", states, c -> c.stats().failedUpdates())
                .description("pod-state refreshes from stream-app that failed (the last state keeps serving)")
                .register(registry);
        Gauge.builder("kvrelay.router.state.services", states, c -> c.stats().entries())
                .description("services whose pod state the router caches").register(registry);
    }

    /** Every endpoint, with where it runs and the body it accepts. */
    public Routes routes() {
        int small = 16 * 1024;
        return new Routes()
                .get("/health", r -> Reply.ok(Map.of("status", "UP", "stateCache", states.stats())))
                .add("GET", "/metrics", WORKER, 0, r -> Reply.metrics(metrics.scrape()))
                // On the event loop, no hand-off: parsing and scoring are CPU only, the index answers
                // asynchronously, and the decision completes where that answer arrives.
                .addAsync("POST", "/v1/route", EVENT_LOOP, MAX_ROUTE_BODY, r -> {
                    RouteRequest req = RouteRequestJson.read(r.json().getFactory(), r.body());
                    credentials.requireRead(req.namespace(), r.header("Authorization"));
                    int listed = candidatesListed(r);
                    return decisions.decide(req, r.loop(), r.workers()).thenApply(res -> Reply.of(
                            res.pod() == null ? 503 : 200, new Reply.Bytes(RouteAnswerJson.write(res, listed),
                                    "application/json")));
                })
                .add("POST", "/v1/links/compute", WORKER, small, this::computeLink)
                .add("GET", "/v1/links/{ns}/{user}", WORKER, 0, r -> {
                    readable(r);
                    return Reply.ok(links.getLinkService(r.param("ns"), r.param("user")));
                })
                .add("DELETE", "/v1/links/{ns}/{user}", WORKER, 0, r -> {
                    writable(r);
                    return Reply.ok(Map.of("deleted", links.deleteLinks(r.param("ns"), r.param("user"))));
                })
                .add("GET", "/v1/links/{ns}/{user}/{service}", WORKER, 0, this::getLink)
                .add("POST", "/v1/links/{ns}/{user}/{service}", WORKER, small, r -> {
                    writable(r);
                    LinkWrite w = links.setLinkedPodIfAbsent(r.param("ns"), r.param("user"), r.param("service"),
                            Names.name("pod", text(r.jsonBody(), "pod")));
                    return Reply.of(w.written() ? 201 : 200, w);
                })
                .add("DELETE", "/v1/links/{ns}/{user}/{service}/cache", WORKER, 0, r -> {
                    writable(r);
                    links.cacheExpired(r.param("ns"), r.param("user"), r.param("service"));
                    return Reply.ok(Map.of("expired", true));
                })
                .add("PUT", "/v1/links/{ns}/{user}/{service}/cache", WORKER, small, r -> {
                    writable(r);
                    String pod = Names.name("pod", text(r.jsonBody(), "pod"));
                    links.setCache(r.param("ns"), r.param("user"), r.param("service"), pod);
                    return Reply.ok(Map.of("cached", pod));
                })
                .add("POST", "/v1/links-batch", WORKER, 1024 * 1024, r -> {
                    String ns = Names.name("namespace", text(r.jsonBody(), "namespace"));
                    credentials.requireRead(ns, r.header("Authorization"));
                    return Reply.ok(links.batchGetLinkedPod(ns, Names.name("service", text(r.jsonBody(), "service")),
                            strings(r.jsonBody(), "users")));
                })
                .add("POST", "/v1/services/{ns}/{service}/pods/{pod}/drain", WORKER, small, r -> drain(r, true))
                .add("POST", "/v1/services/{ns}/{service}/pods/{pod}/undrain", WORKER, small, r -> drain(r, false))
                .add("GET", "/v1/services/{ns}/{service}/best-pod", WORKER, 0, r -> {
                    String ns = r.param("ns");
                    String service = r.param("service");
                    Optional<PodInfo> best = states.bestPod(ns, service, 0, inFlight.view(ns, service));
                    return best.<Reply>map(Reply::ok).orElseThrow(() ->
                            HttpError.notFound("no routable pod in " + ns + "/" + service));
                })
                .add("GET", "/v1/services/{ns}/{service}/in-flight", WORKER, 0, this::inFlight)
                .add("GET", "/v1/services/{ns}/{service}/pods", WORKER, 0, this::pods)
                .add("GET", "/v1/services/{ns}/{service}/pods/{pod}/available", WORKER, 0, r -> Reply.ok(Map.of(
                        "available", states.isPodAvailable(r.param("ns"), r.param("service"), r.param("pod")))))
                .add("GET", "/v1/services/{ns}/{service}/pods/{pod}/routable", WORKER, 0, r -> Reply.ok(Map.of(
                        "routable", states.isPodRoutable(r.param("ns"), r.param("service"), r.param("pod")))))
                .get("/v1/state-cache", r -> Reply.ok(states.stats()));
    }

    /**
     * The router's own failures as statuses: Redis or stream-app down for an operation that needs them is 503 (a
     * routing decision itself degrades instead, see {@code RouteDecider}); a namespace this router does not own, 403.
     */
    public static HttpError error(Throwable t) {
        if (t instanceof NamespaceNotOwnedException e) {
            return HttpError.forbidden(e.getMessage());
        }
        if (t instanceof LinksUnavailableException e) {
            return HttpError.unavailable("Redis unavailable: " + e.getMessage(), 1000);
        }
        if (t instanceof PodSource.Unavailable e) {
            return HttpError.unavailable("stream-app unavailable: " + e.getMessage(), 1000);
        }
        return null;
    }

    private void readable(Request r) {
        credentials.requireRead(Names.name("namespace", r.param("ns")), r.header("Authorization"));
        Names.user(r.param("user"));
    }

    private void writable(Request r) {
        credentials.requireWrite(Names.name("namespace", r.param("ns")), r.header("Authorization"));
        Names.user(r.param("user"));
    }

    private Reply computeLink(Request r) throws PodSource.Unavailable {
        JsonNode b = r.jsonBody();
        String ns = Names.name("namespace", text(b, "namespace"));
        String service = Names.name("service", text(b, "service"));
        String user = Names.user(text(b, "userId"));
        credentials.requireRead(ns, r.header("Authorization"));
        Optional<PodInfo> best = states.bestPod(ns, service, user.hashCode(), inFlight.view(ns, service));
        List<PodInfo> routable = states.routablePods(ns, service);
        LinkDecision d = links.computeLinkedPod(ns, user, service,
                pod -> routable.stream().anyMatch(x -> x.pod().equals(pod)),
                () -> best.map(PodInfo::pod).orElse(null));
        return Reply.of(d.pod() == null ? 503 : 200, d);
    }

    private Reply getLink(Request r) {
        readable(r);
        String ns = r.param("ns");
        String user = r.param("user");
        String service = r.param("service");
        String from = Optional.ofNullable(r.query("from")).orElse("cache-then-store");
        Optional<String> pod = switch (from) {
            case "cache-then-store" -> links.getLinkedPod(ns, user, service);
            case "cache-or-persist" -> links.getLinkedPodInCacheOrIfPersist(ns, user, service);
            case "store" -> links.getLinkedPodNotCache(ns, user, service);
            case "cache" -> links.getLinkedInCache(ns, user, service);
            default -> throw new IllegalArgumentException(
                    "from must be cache-then-store, cache-or-persist, store or cache; got " + from);
        };
        return pod.<Reply>map(x -> Reply.ok(Map.of("pod", x, "from", from)))
                .orElseThrow(() -> HttpError.notFound("no link"));
    }

    private Reply inFlight(Request r) throws PodSource.Unavailable {
        // The work routers just sent to each pod, as this replica counts it.
        String ns = r.param("ns");
        String service = r.param("service");
        InFlight f = inFlight.view(ns, service);
        List<Map<String, Object>> pods = new ArrayList<>();
        for (PodInfo pod : states.pods(ns, service)) {
            pods.add(Map.of("pod", pod.pod(), "queuedMs", f.queuedMs(pod.pod()), "unreported",
                    f.unreported(pod.pod()), "open", f.open(pod.pod())));
        }
        return Reply.ok(Map.of("routerId", routerId, "pods", pods));
    }

    private Reply pods(Request r) throws PodSource.Unavailable {
        String ns = r.param("ns");
        String service = r.param("service");
        String filter = Optional.ofNullable(r.query("filter")).orElse("all");
        List<PodInfo> pods = switch (filter) {
            case "all" -> states.pods(ns, service);
            case "alive" -> states.alivePods(ns, service);
            case "routable" -> states.routablePods(ns, service);
            default -> throw new IllegalArgumentException("filter must be all, alive or routable; got " + filter);
        };
        Duration age = states.staleness(ns, service);
        return Reply.ok(Map.of("pods", pods, "stateAgeMs", age == null ? 0 : age.toMillis()));
    }

    /** A prompt of 1M tokens (the decider's bound) as JSON fits in this. */
    static final int MAX_ROUTE_BODY = 8 * 1024 * 1024;

    /** {@code ?candidates=N}: how many ranked candidates the answer lists (absent: all). */
    private static int candidatesListed(Request r) {
        String n = r.query("candidates");
        if (n == null) {
            return Integer.MAX_VALUE;
        }
        try {
            int v = Integer.parseInt(n.strip());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw HttpError.badRequest("candidates must be an int >= 0, got '" + n + "'");
    }

    private Reply drain(Request r, boolean drain) throws Exception {
        credentials.requireAdmin(r.header("Authorization"));
        if (drainer == null) {
            throw HttpError.forbidden("drain/undrain are disabled on this router: set kafkaBootstrap");
        }
        JsonNode b = r.jsonBody();
        PodDrainer.Outcome o = drainer.set(r.param("ns"), r.param("service"), r.param("pod"), drain,
                optText(b, "operator"), optText(b, "reason"));
        // 200 once stream-app shows it; 202 when written but not visible yet (stream-app away, or unknown pod).
        return Reply.of(o.applied() ? 200 : 202, o);
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
