package io.kvrelay.policies;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Each service's pods in turn, ignoring caches and load. */
public final class RoundRobinPolicy implements RoutingPolicy {
    private final Map<String, Integer> next = new HashMap<>();

    @Override
    public String name() {
        return "round-robin";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        int n = next.merge(request.service(), 1, Integer::sum) - 1;
        return Math.floorMod(n, candidates.size());
    }
}
