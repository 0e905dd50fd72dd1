package io.kvrelay.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.MetricsRegistries;
import io.kvrelay.http.Probes;
import io.kvrelay.http.client.UpstreamClient;
import io.kvrelay.http.frames.FramedClient;
import io.kvrelay.router.admin.PodDrainer;
import io.kvrelay.router.clients.StreamAppClient;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.decide.IndexWait;
import io.kvrelay.router.decide.RouteDecider;
import io.kvrelay.router.decide.RoutingDecisions;
import io.kvrelay.router.decisions.DecisionPublisher;
import io.kvrelay.router.http.OpenAiRoutes;
import io.kvrelay.router.http.RouterRoutes;
import io.kvrelay.router.inflight.DecisionFeed;
import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.links.RedisLinkStore;
import io.kvrelay.router.openai.PodProxy;
import io.kvrelay.router.openai.PodTokenizer;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.PodCommandWriter;
import io.kvrelay.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One router replica, wired: stream-app client, pod-state cache, Redis links, decider, decisions, HTTP. */
public final class RouterApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RouterApp.class);
    /** A prefix-match answer names each pod holding part of the prompt: far below this for any real fleet. */
    private static final int MAX_INDEX_ANSWER_BYTES = 8 * 1024 * 1024;

    private final PrometheusMeterRegistry registry = MetricsRegistries.prometheus();
    private final RedisLinkStore store;
    private final LinkService links;
    private final ServiceStateCache states;
    private final DecisionPublisher decisions;
    private final DecisionFeed feed;
    private final PodDrainer drainer;
    private final StreamAppClient streamApp;
    private final RoutingDecisions routing;
    private final OpenAiRoutes openAi;
    private final UpstreamClient pods;
    private final RouterRoutes routes;
    private final RouterConfig config;
    /** The HTTP server's event loops, shared with the stream-app client: a decision stays on its request's loop. */
    private final EventLoopGroup loops;
    private HttpServer http;
    private boolean closed;

    public RouterApp(RouterConfig c) throws IOException {
        this.loops = HttpServer.eventLoops("router", 0);
        this.streamApp = new StreamAppClient(c.streamAppUrls(), Duration.ofMillis(c.fanOutTimeoutMs()),
                Duration.ofSeconds(2), new FramedClient(loops, MAX_INDEX_ANSWER_BYTES));
        PodScorer scorer = new PodScorer(c.cost());
        this.states = new ServiceStateCache(streamApp, scorer, new ServiceStateCache.Config(
                Duration.ofMillis(c.stateRefreshMs()), Duration.ofMinutes(10), 10_000), Clock.systemUTC());
        this.store = RedisLinkStore.connect(c.links());
        this.links = new LinkService(store, c.links(), registry);
        InFlightLedger inFlight = new InFlightLedger(c.cost().reportLagMs());
        RouteDecider decider = new RouteDecider(states, streamApp, links, scorer, inFlight,
                new IndexWait(Duration.ofMillis(c.fanOutTimeoutMs()), c.indexWaitShare()), c.defaultBlockSize());
        Topics topics = Topics.withPrefix(c.topicPrefix(), (short) 1);
        java.util.Optional<KafkaClients> kafka = c.kafkaClients();
        this.feed = c.shareInFlight() ? new DecisionFeed(DecisionFeed.consumer(kafka.orElseThrow(), c.routerId()),
                topics.routeDecisions().name(), c.routerId(), inFlight, registry) : null;
        this.decisions = kafka.isEmpty() ? null
                : new DecisionPublisher(DecisionPublisher.producer(kafka.get(), c.routerId()),
                topics.routeDecisions().name(), c.decisionBuffer(), registry);
        this.drainer = kafka.isEmpty() ? null
                : new PodDrainer(new PodCommandWriter(kafka.get(), topics.podStatus().name()), states,
                Duration.ofSeconds(3), Clock.systemUTC());
        this.config = c;
        this.routing = new RoutingDecisions(decider, states, decisions, c.routerId(), registry);
        // The front door's client to the pods (tokenize, proxy), on the router's own loops.
        this.pods = new UpstreamClient(loops, c.openai().maxConnectionsPerPod(),
                Math.toIntExact(c.openai().connectTimeoutMs()));
        ObjectMapper json = new ObjectMapper();
        this.openAi = new OpenAiRoutes(c.openai(), routing, states,
                new PodTokenizer(pods, json, Duration.ofMillis(c.openai().tokenizeTimeoutMs()),
                        c.openai().tokenCacheTokens()),
                new PodProxy(pods, inFlight, Duration.ofMillis(c.openai().responseTimeoutMs()),
                        c.openai().maxAttempts()), c.adminToken(), c.namespaceTokens(), registry);
        this.routes = new RouterRoutes(routing, links, states, drainer, c.adminToken(), c.namespaceTokens(),
                c.routerId(), inFlight, registry);
    }

    public RouterApp start() {
        streamApp.start();
        states.start();
        if (feed != null) {
            feed.start();
        }
        try {
            http = new HttpServer("router", config.httpHost(), config.httpPort(), loops, config.http(),
                    openAi.addTo(Probes.add(routes.routes(), () -> streamApp.connected() ? null
                            : "stream-app not reached yet (streamApp.urls)")), new ObjectMapper(), RouterRoutes::error,
                    registry);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the router's port", e);
        }
        log.info("router ready on port {}", http.port());
        return this;
    }

    public int port() {
        return http.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return; // the shutdown hook closes too
        }
        closed = true;
        if (http != null) {
            http.close();
        }
        states.close();
        routing.close();
        if (feed != null) {
            feed.close();
        }
        if (decisions != null) {
            decisions.close();
        }
        if (drainer != null) {
            drainer.close();
        }
        links.close();
        store.close();
        streamApp.close();
        pods.close();
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        log.info("router stopped");
    }
}
