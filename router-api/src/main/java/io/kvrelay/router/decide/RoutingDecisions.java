package io.kvrelay.router.decide;

import io.kvrelay.router.decisions.DecisionPublisher;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Every routing decision the router makes, whichever endpoint asked ({@code POST /v1/route} or the OpenAI front
 * door): decided by {@link RouteDecider}, timed, counted when stale or made without the index, and published to the
 * decision log. Thread-safe.
 */
public final class RoutingDecisions implements AutoCloseable {
    private final RouteDecider decider;
    private final ServiceStateCache states;
    private final DecisionPublisher decisions;
    private final String routerId;
    private final Timer routeTimer;
    private final Counter staleDecisions;
    private final Counter withoutIndex;
    /** First reads of a service's pods (blocking): a few threads that exist only while such reads happen. */
    private final ExecutorService coldReads = new ThreadPoolExecutor(0, 8, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "router-first-read");
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.CallerRunsPolicy());

    /** @param decisions null = decisions are not published */
    public RoutingDecisions(RouteDecider decider, ServiceStateCache states, DecisionPublisher decisions,
                            String routerId, MeterRegistry registry) {
        this.decider = decider;
        this.states = states;
        this.decisions = decisions;
        this.routerId = routerId;
        this.routeTimer = Timer.builder("kvrelay.router.route")
                .description("route decisions, request read to answer written").publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry);
        this.staleDecisions = Counter.builder("kvrelay.router.decisions.stale")
                .description("decisions that chose a pod on its last known state (pipeline or stream-app behind)")
                .register(registry);
        this.withoutIndex = Counter.builder("kvrelay.router.decisions.without.index")
                .description("decisions made without the prefix index (stream-app did not answer within the fan-out "
                        + "deadline): routed on load alone").register(registry);
    }

    /**
     * Decides where {@code req} goes. The decision stays on {@code loop} (an HTTP event loop) unless it needs a
     * blocking call: a user's link that is not in the local cache ends on {@code workers}, and a service's first
     * request reads its pods from stream-app on a thread of its own.
     */
    public CompletableFuture<RouteResult> decide(RouteRequest req, Executor loop, Executor workers) {
        long t0 = System.nanoTime();
        CompletableFuture<RouteResult> f;
        if (states.isCached(req.namespace(), req.service())) {
            f = routeAsync(req, loop, workers);
        } else {
            f = CompletableFuture.supplyAsync(() -> routeAsync(req, loop, workers), coldReads).thenCompose(x -> x);
        }
        return f.thenApply(res -> recorded(req, res, t0));
    }

    private CompletableFuture<RouteResult> routeAsync(RouteRequest req, Executor loop, Executor workers) {
        try {
            return decider.routeAsync(req, loop, workers);
        } catch (PodSource.Unavailable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private RouteResult recorded(RouteRequest req, RouteResult res, long t0) {
        routeTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        if (res.stale()) {
            staleDecisions.increment();
        }
        if (!res.indexAvailable()) {
            withoutIndex.increment();
        }
        if (decisions != null) {
            long atMicros = System.currentTimeMillis() * 1000;
            decisions.offer(() -> decision(req, res, atMicros));
        }
        return res;
    }

    private RouteDecision decision(RouteRequest req, RouteResult res, long atMicros) {
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
                .setAtMicros(atMicros).setRouterId(routerId)
                .setPrefillMs(res.score() == null ? null : res.score().prefillMs()).build();
    }

    @Override
    public void close() {
        coldReads.shutdownNow();
    }
}
