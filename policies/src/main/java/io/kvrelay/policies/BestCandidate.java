package io.kvrelay.policies;

import java.util.List;
import java.util.function.ToDoubleFunction;

/** The oracles' shared choice rule: the lowest cost wins, ties go to fewer requests in flight, then fleet order. */
final class BestCandidate {
    private BestCandidate() {
    }

    /** @return the index in {@code candidates} (never empty) of the cheapest pod by {@code cost} */
    static <P extends PodView<?>> int lowest(List<? extends P> candidates, ToDoubleFunction<P> cost) {
        int best = -1;
        double bestCost = Double.POSITIVE_INFINITY;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < candidates.size(); i++) {
            P p = candidates.get(i);
            double c = cost.applyAsDouble(p);
            int load = p.inFlight();
            if (best < 0 || c < bestCost || (c == bestCost && load < bestLoad)) {
                best = i;
                bestCost = c;
                bestLoad = load;
            }
        }
        return best;
    }
}
