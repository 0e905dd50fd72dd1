package io.kvrelay.launcher.bench;

import io.kvrelay.policies.RoutingPolicy;
import io.kvrelay.policies.ServiceModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays the request stream through one baseline policy on a fresh fleet of {@link ModelPod}s with a simulated
 * clock: requests are decided and served in arrival order at their arrival instants, and every pod's in-flight count
 * at that instant comes from the same {@link ServiceModel} the real-time kvrelay run uses. No sleeping, so the four
 * baselines together take about a second.
 */
public final class InProcessRun {
    private InProcessRun() {
    }

    public static List<Served> run(RoutingPolicy policy, List<BenchRequest> stream, FleetLayout layout,
                                   int capacityBlocks, ServiceModel model) {
        List<ModelPod> pods = new ArrayList<>(layout.pods());
        for (int i = 0; i < layout.pods(); i++) {
            pods.add(new ModelPod(layout.podName(i), capacityBlocks, layout.hashSeed(i)));
        }
        ServiceModel.PrefillQueues queues = model.queues(layout.pods());
        List<Served> out = new ArrayList<>(stream.size());
        for (BenchRequest r : stream) {
            int first = layout.firstPod(r.service());
            List<ModelPod> candidates = pods.subList(first, first + layout.podsPerService());
            for (ModelPod p : candidates) {
                p.advanceTo(r.arrivalMs());
            }
            int chosen = first + policy.choose(r, candidates);
            ModelPod pod = pods.get(chosen);
            int hit = pod.serve(r);
            ServiceModel.Timing t = queues.admit(chosen, r.arrivalMs(), r.promptBlocks() - hit, r.outputTokens());
            pod.hold(r, t);
            out.add(new Served(r.index(), chosen, r.arrivalMs(), r.promptBlocks(), hit, t.ttftMs(), t.finishMs()));
        }
        return out;
    }
}
