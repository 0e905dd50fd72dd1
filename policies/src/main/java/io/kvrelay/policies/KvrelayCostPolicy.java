package io.kvrelay.policies;

import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.InFlight;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * kvrelay's decision on a simulated fleet, by router-api's own rule: {@link PodScorer} ranks the candidates by
 * predicted time to first token, {@link PodScorer#best} picks the pod (the best one not overloaded), and
 * {@link PodScorer#keepsLink} decides whether the user's sticky link holds; otherwise the link is created or moved to
 * the winner; no user, no link.
 *
 * <p>What the scorer sees of a pod: running = in flight minus waiting, waiting = queued for the prefill slot,
 * kvCacheUsage = the in-flight requests' share of the cache, the prefill queue exactly (where the router counts it
 * with its in-flight ledger), and matched = gpuMatched = its cached prefix of the prompt, exact (the simulator's
 * truth, where the router reads a possibly stale index). So this is kvrelay's cost model with exact, instant load.
 * Not thread-safe.
 */
public final class KvrelayCostPolicy implements RoutingPolicy {
    private final String name;
    private final PodScorer scorer;
    private final StickyLinks links = new StickyLinks();

    public KvrelayCostPolicy(String name, CostModel model) {
        this.name = name;
        this.scorer = new PodScorer(model);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        List<PodInfo> pods = new ArrayList<>(candidates.size());
        Map<String, int[]> figures = new HashMap<>(candidates.size() * 2);
        Map<String, Double> queued = new HashMap<>(candidates.size() * 2);
        for (int i = 0; i < candidates.size(); i++) {
            PodView<? super R> p = candidates.get(i);
            int waiting = p.waiting();
            pods.add(new PodInfo("", request.service(), p.name(), i, null, true, true, false,
                    p.inFlight() - waiting, waiting, p.kvCacheUsage(), null, 0));
            figures.put(p.name(), new int[] {p.cachedPrefixBlocks(request), waiting});
            queued.put(p.name(), p.prefillQueueMs());
        }
        PodScorer.Matches matches = new PodScorer.Matches() {
            @Override
            public int matched(String pod) {
                return figures.get(pod)[0];
            }

            @Override
            public int gpuMatched(String pod) {
                return matched(pod);
            }
        };
        InFlight exact = new InFlight() {
            @Override
            public double queuedMs(String pod) {
                return queued.get(pod);
            }

            @Override
            public int unreported(String pod) {
                return 0;
            }

            /** The queue is known exactly, so the waiting requests are priced at exactly its share each. */
            @Override
            public double meanPrefillMs(String pod) {
                int waiting = figures.get(pod)[1];
                return waiting == 0 ? Double.NaN : queued.get(pod) / waiting;
            }
        };
        List<PodScorer.Score> ranked = scorer.rank(pods, request.promptBlocks(), matches, exact, tieKey(request));
        PodScorer.Score best = PodScorer.best(ranked);
        int linked = links.linkedIndex(request, candidates);
        if (linked >= 0 && scorer.keepsLink(scoreOf(ranked, candidates.get(linked).name()), best)) {
            return linked;
        }
        links.link(request, best.pod().pod());
        return best.pod().podIndex(); // the candidate's position, set above
    }

    private static PodScorer.Score scoreOf(List<PodScorer.Score> ranked, String pod) {
        for (PodScorer.Score s : ranked) {
            if (s.pod().pod().equals(pod)) {
                return s;
            }
        }
        return null;
    }

    /** RouteDecider's: the prompt's first block key, else the user's hash, else 0. */
    private static long tieKey(RoutedRequest r) {
        return r.promptBlocks() > 0 ? r.firstBlockKey() : (r.userId() == null ? 0 : r.userId().hashCode());
    }
}
