package io.kvrelay.launcher.bench;

import io.kvrelay.router.scoring.CostWeights;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * kvrelay's decision on a simulated fleet: router-api's own {@link PodScorer} ranks the candidates, the best pod that
 * is not overloaded wins (the cheapest if all are), then the user's sticky link as {@code RouteDecider} applies it:
 * kept while its pod is a candidate and not overloaded, otherwise created or moved to the winner; no user, no link.
 *
 * <p>What the scorer sees of a pod: running = in flight minus waiting, waiting = queued for the prefill slot,
 * kvCacheUsage = the in-flight requests' share of the cache, and matched = gpuMatched = its cached prefix of the
 * prompt, exact (the simulator's truth, where the router reads a possibly stale index). Not thread-safe.
 */
public final class KvrelayCostPolicy implements RoutingPolicy {
    private final String name;
    private final PodScorer scorer;
    private final StickyLinks links = new StickyLinks();

    public KvrelayCostPolicy(String name, CostWeights weights) {
        this.name = name;
        this.scorer = new PodScorer(weights);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        List<PodInfo> pods = new ArrayList<>(candidates.size());
        Map<String, Integer> cached = new HashMap<>(candidates.size() * 2);
        for (int i = 0; i < candidates.size(); i++) {
            PodView<? super R> p = candidates.get(i);
            int waiting = p.waiting();
            pods.add(new PodInfo("", request.service(), p.name(), i, null, true, true, false,
                    p.inFlight() - waiting, waiting, p.kvCacheUsage(), null, 0));
            cached.put(p.name(), p.cachedPrefixBlocks(request));
        }
        PodScorer.Matches matches = new PodScorer.Matches() {
            @Override
            public int matched(String pod) {
                return cached.getOrDefault(pod, 0);
            }

            @Override
            public int gpuMatched(String pod) {
                return matched(pod);
            }
        };
        List<PodScorer.Score> ranked = scorer.rank(pods, request.promptBlocks(), matches, tieKey(request));
        PodScorer.Score best = PodScorer.best(ranked);
        int linked = links.linkedIndex(request, candidates);
        if (linked >= 0 && !scorer.overloaded(pods.get(linked))) {
            return linked;
        }
        links.link(request, best.pod().pod());
        return best.pod().podIndex(); // the candidate's position, set above
    }

    /** RouteDecider's: the prompt's first block key, else the user's hash, else 0. */
    private static long tieKey(RoutedRequest r) {
        return r.promptBlocks() > 0 ? r.firstBlockKey() : (r.userId() == null ? 0 : r.userId().hashCode());
    }
}
