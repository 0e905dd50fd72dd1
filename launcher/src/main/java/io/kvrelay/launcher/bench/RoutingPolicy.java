package io.kvrelay.launcher.bench;

import java.util.List;

/**
 * A baseline routing policy run in-process. Policies keep state across calls (counters, links) and are used by one
 * thread; make a fresh one per run.
 */
public interface RoutingPolicy {
    String name();

    /**
     * Picks the pod for {@code request} among {@code candidates} (the pods of its service, in fleet order).
     *
     * @return an index into {@code candidates}
     */
    int choose(BenchRequest request, List<? extends PodView> candidates);
}
