package io.kvrelay.policies;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A uniformly random pod of the service (seeded, so a run is reproducible): the floor any policy that looks at caches
 * or load should beat. Unlike sticky-only it never links a user to a pod.
 */
public final class RandomPolicy implements RoutingPolicy {
    private final SplittableRandom random;

    public RandomPolicy(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        return random.nextInt(candidates.size());
    }
}
