package io.kvrelay.policies;

import java.util.List;

/** The pod with the fewest requests in flight; ties go to the first in fleet order, so the result is reproducible. */
public final class LeastLoadedPolicy implements RoutingPolicy {
    @Override
    public String name() {
        return "least-loaded";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        int best = 0;
        for (int i = 1; i < candidates.size(); i++) {
            if (candidates.get(i).inFlight() < candidates.get(best).inFlight()) {
                best = i;
            }
        }
        return best;
    }
}
