package io.kvrelay.router.decide;

import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.links.LinkDecision;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.BlockKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * One routing decision: the service's routable pods, their longest cached prefix of the prompt (stream-app), their
 * load (pod state, and the work routers just sent them: {@link InFlightLedger}), the predicted time to first token
 * on each ({@link PodScorer}), then the user's sticky link ({@link PodScorer#keepsLink}). The chosen pod's predicted
 * prefill goes into the ledger at once, so the next decision (on any thread) sees it. Each source may be missing: without stream-app's
 * index the cost is load alone ({@code indexAvailable=false}); without Redis there is no stickiness
 * ({@code redisAvailable=false}); neither is an error. Thread-safe.
 */
public final class RouteDecider {
    private final ServiceStateCache states;
    private final PrefixIndex index;
    private final LinkService links;
    private final PodScorer scorer;
    private final InFlightLedger inFlight;
    private final IndexWait indexWait;
    private final int defaultBlockSize;

    public RouteDecider(ServiceStateCache states, PrefixIndex index, LinkService links, PodScorer scorer,
                        InFlightLedger inFlight, IndexWait indexWait, int defaultBlockSize) {
        this.states = states;
        this.index = index;
        this.links = links;
        this.scorer = scorer;
        this.inFlight = inFlight;
        this.indexWait = indexWait;
        this.defaultBlockSize = defaultBlockSize;
    }

    /**
     * The decision, waiting for it: for tests, benchmarks and callers that hold a thread anyway.
     *
     * @throws PodSource.Unavailable when the service's pods were never read and stream-app is unreachable
     */
    public RouteResult route(RouteRequest r) throws PodSource.Unavailable {
        try {
            return routeAsync(r, Runnable::run, Runnable::run).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * The decision, without holding the calling thread while the index answers: the rest of the decision runs on
     * {@code continueOn} (the request's event loop) once the answer arrives. Pods and load come from in-memory
     * state, so the only wait is the index's, bounded by {@link IndexWait}. A user's link served from the local cache
     * (the usual case) is decided there too; only a link that needs Redis moves the decision's end to
     * {@code mayBlock}, where it waits at most the link service's Redis deadline.
     *
     * @throws PodSource.Unavailable when the service's pods were never read and stream-app is unreachable
     */
    public CompletableFuture<RouteResult> routeAsync(RouteRequest r, Executor continueOn, Executor mayBlock)
            throws PodSource.Unavailable {
        long t0 = System.nanoTime();
        List<PodInfo> pods = states.pods(r.namespace(), r.service());
        Duration age = states.staleness(r.namespace(), r.service());
        // Plain loops: this runs on every request, and the streams it replaced showed up in the decision's profile.
        List<PodInfo> routable = new ArrayList<>(pods.size());
        int blockSize = 0;
        for (PodInfo p : pods) {
            if (p.routable()) {
                routable.add(p);
                if (blockSize == 0 && p.blockSize() != null && p.blockSize() > 0) {
                    blockSize = p.blockSize();
                }
            }
        }
        blockSize = blockSize == 0 ? defaultBlockSize : blockSize;
        long[] keys = BlockKeys.keys(r.tokens(), blockSize, r.extras());
        if (routable.isEmpty() || keys.length == 0) {
            return decide(r, t0, age, routable, keys, PrefixMatches.NONE, true, mayBlock);
        }
        CompletableFuture<PrefixMatches> answer;
        try {
            answer = index.prefixMatch(r.namespace(), r.service(), keys,
                    indexWait.deadline(keys.length, scorer.model().prefillMsPerBlock()));
        } catch (PrefixIndex.Unavailable e) {
            answer = CompletableFuture.failedFuture(e);
        }
        java.util.function.BiFunction<PrefixMatches, Throwable, CompletableFuture<RouteResult>> rest = (m, e) ->
                e == null ? decide(r, t0, age, routable, keys, m, true, mayBlock)
                        : decide(r, t0, age, routable, keys, PrefixMatches.NONE, false, mayBlock);
        // The router's index client answers on the loop that made the call, so this is usually no hop at all; an
        // index that answers on a thread of its own must not run every decision's end there.
        return (answer.isDone() ? answer.handle(rest) : answer.handleAsync(rest, continueOn)).thenCompose(f -> f);
    }

    /** The pods ranked for one request: what the link decision and the result are made of. */
    private record Ranking(List<PodScorer.Score> ranked, PodScorer.Score best, Map<String, PodScorer.Score> byPod) {
    }

    private CompletableFuture<RouteResult> decide(RouteRequest r, long t0, Duration age, List<PodInfo> routable,
                                                  long[] keys, PrefixMatches m, boolean indexAvailable,
                                                  Executor mayBlock) {
        Ranking k = rank(r, routable, keys, m);
        if (r.userId() == null) {
            return CompletableFuture.completedFuture(finish(r, t0, age, keys, indexAvailable, k, null));
        }
        // A link is honoured only while its pod is routable, not overloaded and not much slower than the best.
        Predicate<String> keeps = pod -> scorer.keepsLink(k.byPod().get(pod), k.best());
        LinkDecision cached = links.cachedLink(r.namespace(), r.userId(), r.service(), keeps);
        if (cached != null) {
            return CompletableFuture.completedFuture(finish(r, t0, age, keys, indexAvailable, k, cached));
        }
        return CompletableFuture.supplyAsync(() -> finish(r, t0, age, keys, indexAvailable, k,
                links.computeLinkedPod(r.namespace(), r.userId(), r.service(), keeps,
                        () -> k.best() == null ? null : k.best().pod().pod())), mayBlock);
    }

    private Ranking rank(RouteRequest r, List<PodInfo> routable, long[] keys, PrefixMatches m) {
        long tieKey = keys.length > 0 ? keys[0] : (r.userId() == null ? 0 : r.userId().hashCode());
        List<PodScorer.Score> ranked = scorer.rank(routable, keys.length, new PodScorer.Matches() {
            // The scorer asks the three figures of one pod in a row: one map lookup per pod, not three.
            private String lastPod;
            private int[] last;

            private int[] of(String pod) {
                if (pod != lastPod) {
                    lastPod = pod;
                    last = m.byPod().get(pod);
                }
                return last;
            }

            @Override
            public int matched(String pod) {
                int[] f = of(pod);
                return f == null ? 0 : f[0];
            }

            @Override
            public int gpuMatched(String pod) {
                int[] f = of(pod);
                return f == null ? 0 : f[1];
            }

            @Override
            public int memoryMatched(String pod) {
                int[] f = of(pod);
                return f == null ? 0 : f.length > 2 ? f[2] : f[0];
            }
        }, inFlight.view(r.namespace(), r.service()), tieKey);
        PodScorer.Score best = PodScorer.best(ranked);
        Map<String, PodScorer.Score> byPod = new HashMap<>(ranked.size() * 2);
        ranked.forEach(s -> byPod.put(s.pod().pod(), s));
        return new Ranking(ranked, best, byPod);
    }

    /** @param d the user's link decision; null when the request names no user */
    private RouteResult finish(RouteRequest r, long t0, Duration age, long[] keys, boolean indexAvailable, Ranking k,
                               LinkDecision d) {
        PodScorer.Score chosen = k.best();
        String reason = chosen == null ? "no-routable-pod" : "best-cost";
        String linkOutcome = null;
        boolean sticky = false;
        boolean redisAvailable = true;
        if (d != null) {
            linkOutcome = d.outcome().name();
            sticky = d.sticky();
            redisAvailable = d.redisAvailable();
            chosen = d.pod() == null ? null : k.byPod().get(d.pod());
            reason = switch (d.outcome()) {
                case KEPT -> "sticky";
                case ADOPTED -> "sticky-adopted";
                case CREATED -> "best-cost-linked";
                case MOVED -> "link-moved";
                case REDIS_UNAVAILABLE -> "best-cost-redis-unavailable";
                case CONTENDED -> "best-cost-link-contended";
                case NAMESPACE_NOT_OWNED -> "best-cost-namespace-not-owned";
                case NO_ROUTABLE_POD -> "no-routable-pod";
            };
        }
        boolean stale = chosen != null && chosen.pod().stale();
        if (chosen != null) {
            reason = qualified(reason, indexAvailable, stale);
            // Counted at once, before the answer leaves: the next decision on any thread sees this one's work.
            inFlight.add(chosen.pod().id(), chosen.prefillMs());
        }
        return new RouteResult(chosen == null ? null : chosen.pod(), chosen, chosen == null ? 0 : chosen.matched(),
                keys.length, sticky, reason, linkOutcome, redisAvailable, indexAvailable, stale,
                age == null ? 0 : age.toMillis(), k.ranked(), (System.nanoTime() - t0) / 1_000, keys);
    }

    /**
     * The reason with what the decision lacked, always in this order: {@code -without-index} (decided on load and
     * links: stream-app's index did not answer), then {@code -stale} (the chosen pod's state is the last known one).
     * Analytics match these suffixes on the route-decisions topic.
     */
    static String qualified(String reason, boolean indexAvailable, boolean stale) {
        String r = indexAvailable ? reason : reason + "-without-index";
        return stale ? r + "-stale" : r;
    }
}
