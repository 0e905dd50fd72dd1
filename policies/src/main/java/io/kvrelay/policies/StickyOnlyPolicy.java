package io.kvrelay.policies;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeds' behaviour: a user's link in the request's service if one exists, otherwise a random pod (seeded), linked
 * from then on (until it idles out, see {@link StickyLinks}). A request without a user gets a random pod and no
 * link.
 */
public final class StickyOnlyPolicy implements RoutingPolicy {
    private final SplittableRandom random;
    private final StickyLinks links = new StickyLinks();

    public StickyOnlyPolicy(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "sticky-only";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        int linked = links.linkedIndex(request, candidates);
        if (linked >= 0) {
            return linked;
        }
        int pick = random.nextInt(candidates.size());
        links.link(request, candidates.get(pick).name());
        return pick;
    }
}
