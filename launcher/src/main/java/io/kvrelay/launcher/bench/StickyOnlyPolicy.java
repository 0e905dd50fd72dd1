package io.kvrelay.launcher.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The seeds' behaviour: a user's link if one exists, otherwise a random pod (seeded), linked from then on. Links
 * never expire here: the run is shorter than any sensible link TTL.
 */
public final class StickyOnlyPolicy implements RoutingPolicy {
    private final SplittableRandom random;
    private final Map<String, String> links = new HashMap<>();

    public StickyOnlyPolicy(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "sticky-only";
    }

    @Override
    public int choose(BenchRequest request, List<? extends PodView> candidates) {
        String linked = links.get(request.userId());
        if (linked != null) {
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).name().equals(linked)) {
                    return i;
                }
            }
        }
        int pick = random.nextInt(candidates.size());
        links.put(request.userId(), candidates.get(pick).name());
        return pick;
    }
}
