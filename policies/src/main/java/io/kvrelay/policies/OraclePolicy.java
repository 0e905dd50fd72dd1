package io.kvrelay.policies;

import java.util.List;

/**
 * {@code oracle-hit}: knows every pod's cache exactly at the instant of the decision: the longest cached prefix of the
 * prompt wins, ties go to the pod with fewer requests in flight, then to the first in fleet order. Greedy, so an upper
 * reference for hit rate per decision rather than a global optimum; it ignores queues, so its TTFT can be poor when
 * one pod holds the prefix everyone shares (see {@link OracleTtftPolicy}).
 */
public final class OraclePolicy implements RoutingPolicy {
    @Override
    public String name() {
        return "oracle-hit";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        // The longest prefix is the lowest cost of minus the cached blocks.
        return BestCandidate.<PodView<? super R>>lowest(candidates, p -> -p.cachedPrefixBlocks(request));
    }
}
