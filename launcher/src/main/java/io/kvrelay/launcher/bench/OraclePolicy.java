package io.kvrelay.launcher.bench;

import java.util.List;

/**
 * Knows every pod's cache exactly at the instant of the decision: the longest cached prefix of the prompt wins, ties
 * go to the pod with fewer requests in flight, then to the first in fleet order. Greedy, so an upper reference for
 * hit rate per decision rather than a global optimum.
 */
public final class OraclePolicy implements RoutingPolicy {
    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        int best = -1;
        int bestCached = -1;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < candidates.size(); i++) {
            PodView<? super R> p = candidates.get(i);
            int cached = p.cachedPrefixBlocks(request);
            int load = p.inFlight();
            if (cached > bestCached || (cached == bestCached && load < bestLoad)) {
                best = i;
                bestCached = cached;
                bestLoad = load;
            }
        }
        return best;
    }
}
