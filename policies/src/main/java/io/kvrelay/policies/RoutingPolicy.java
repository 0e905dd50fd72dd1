package io.kvrelay.policies;

import java.util.List;

/**
 * A routing policy run in-process, on generated requests (bench-routing) or recorded ones (the replay's
 * counterfactual). Policies keep state across calls (counters, links) and are used by one thread; make a fresh one
 * per run.
 */
public interface RoutingPolicy {
    String name();

    /**
     * Picks the pod for {@code request} among {@code candidates} (the pods of its service, in fleet order; never
     * empty).
     *
     * @return an index into {@code candidates}
     */
    <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates);
}
