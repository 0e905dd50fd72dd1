package io.kvrelay.policies;

import java.util.List;

/**
 * {@code oracle-ttft}: knows every pod's cache and prefill queue exactly at the instant of the decision and takes the
 * pod with the lowest TTFT the {@link ServiceModel} predicts: wait for the pod's prefill slot + uncached blocks ×
 * prefillMsPerBlock + overheadMs. Ties go to fewer requests in flight, then to the first in fleet order. Greedy like
 * {@link OraclePolicy}: the best next decision for this request, not a plan for the ones after it. With the run's own
 * service model the prediction is the TTFT the request then gets.
 */
public final class OracleTtftPolicy implements RoutingPolicy {
    private final ServiceModel model;

    public OracleTtftPolicy(ServiceModel model) {
        this.model = model;
    }

    @Override
    public String name() {
        return "oracle-ttft";
    }

    @Override
    public <R extends RoutedRequest> int choose(R request, List<? extends PodView<? super R>> candidates) {
        return BestCandidate.<PodView<? super R>>lowest(candidates, p -> predictedTtftMs(request, p));
    }

    /** The service model's TTFT for {@code request} if it went to {@code pod} now. */
    <R extends RoutedRequest> double predictedTtftMs(R request, PodView<? super R> pod) {
        int uncached = request.promptBlocks() - pod.cachedPrefixBlocks(request);
        return pod.prefillQueueMs() + uncached * model.prefillMsPerBlock() + model.overheadMs();
    }
}
