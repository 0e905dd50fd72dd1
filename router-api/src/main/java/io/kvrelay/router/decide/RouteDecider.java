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
            return routeAsync(r, Runnable::run).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * The decision, without holding the calling thread while the index answers: the rest of the decision runs on
     * {@code continueOn} (the request's event loop) once the answer arrives. Pods and load come from in-memory state, so the only wait is the
     * index's, bounded by {@link IndexWait}; a user's link waits at most the link service's Redis deadline.
     *
     * @throws PodSource.Unavailable when the service's pods were never read and stream-app is unreachable
     */
    public CompletableFuture<RouteResult> routeAsync(RouteRequest r, Executor continueOn)
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
            return CompletableFuture.completedFuture(decide(r, t0, age, routable, keys, PrefixMatches.NONE, true));
        }
        CompletableFuture<PrefixMatches> answer;
        try {
            answer = index.prefixMatch(r.namespace(), r.service(), keys,
                    indexWait.deadline(keys.length, scorer.model().prefillMsPerBlock()));
        } catch (PrefixIndex.Unavailable e) {
            answer = CompletableFuture.failedFuture(e);
        }
        java.util.function.BiFunction<PrefixMatches, Throwable, RouteResult> rest = (m, e) -> e == null
                ? decide(r, t0, age, routable, keys, m, true)
                : decide(r, t0, age, routable, keys, PrefixMatches.NONE, false);
        // The index answers on its client's I/O thread, one per stream-app connection: the rest of every decision
        // there would make that one thread the router's limit. It goes back where the request came from.
        return answer.isDone() ? answer.handle(rest) : answer.handleAsync(rest, continueOn);
    }

    private RouteResult decide(RouteRequest r, long t0, Duration age, List<PodInfo> routable, long[] keys,
                               PrefixMatches m, boolean indexAvailable) {
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

        PodScorer.Score chosen = best;
        String reason = best == null ? "no-routable-pod" : "best-cost";
        String linkOutcome = null;
        boolean sticky = false;
        boolean redisAvailable = true;
        if (r.userId() != null) {
            // A link is honoured only while its pod is routable, not overloaded and not much slower than the best.
            Predicate<String> keeps = pod -> scorer.keepsLink(byPod.get(pod), best);
            LinkDecision d = links.computeLinkedPod(r.namespace(), r.userId(), r.service(), keeps,
                    () -> best == null ? null : best.pod().pod());
            linkOutcome = d.outcome().name();
            sticky = d.sticky();
            redisAvailable = d.redisAvailable();
            chosen = d.pod() == null ? null : byPod.get(d.pod());
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
                age == null ? 0 : age.toMillis(), ranked, (System.nanoTime() - t0) / 1_000, keys);
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
