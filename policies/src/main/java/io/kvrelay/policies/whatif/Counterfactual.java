package io.kvrelay.policies.whatif;

import io.kvrelay.policies.KvrelayCostPolicy;
import io.kvrelay.policies.LeastLoadedPolicy;
import io.kvrelay.policies.OraclePolicy;
import io.kvrelay.policies.RoundRobinPolicy;
import io.kvrelay.policies.RoutingPolicy;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.policies.StickyOnlyPolicy;
import io.kvrelay.router.scoring.CostModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Replays recorded routing requests under other policies on a simulated fleet: what hit rate and TTFT each policy
 * would have had with the same requests at the same instants, among the same candidates.
 *
 * <p>Each policy gets a fresh fleet (every pod the decisions name, with an empty {@link BlockLruPod} cache of its
 * configured size) and the requests in time order; each request is decided among its recorded candidates (in fleet
 * order: pod names sorted), served by the chosen pod's cache and charged by bench-routing's {@link ServiceModel}
 * with a fixed decode time. Decisions without candidates or without a chosen pod are left out for every policy, so
 * all rows count the same requests. The first row, {@value #AS_RECORDED}, follows the router's recorded choices
 * through the same model: it is the row to compare the others with, not the hit rate measured on the real caches
 * (the model starts cold and knows nothing of caches filled before the window, nor of real eviction or timing).
 *
 * <p>Pure and deterministic for the same requests and settings.
 */
public final class Counterfactual {
    /** The policy that follows the recorded decisions. */
    public static final String AS_RECORDED = "as-recorded";

    private Counterfactual() {
    }

    /** One row per policy, in report order: as-recorded, the baselines, each kvrelay weighting, the oracle. */
    public static List<PolicyOutcome> run(List<RecordedRequest> requests, WhatIfSettings settings) {
        ReplayPlan plan = ReplayPlan.of(requests);
        ServiceModel model = new ServiceModel(settings.prefillMsPerBlock(), settings.overheadMs(), settings.decodeMs());
        List<PolicyOutcome> out = new ArrayList<>();
        for (Decider d : deciders(settings)) {
            out.add(replay(plan, d, settings, model));
        }
        return out;
    }

    /** Picks the pod for a recorded request among its candidates; one instance per run. */
    private interface Decider {
        String name();

        String description();

        int choose(RecordedRequest r, List<BlockLruPod> candidates);
    }

    private record AsRecorded() implements Decider {
        @Override
        public String name() {
            return AS_RECORDED;
        }

        @Override
        public String description() {
            return "the pod the router chose, replayed through the model: the row to compare the others with";
        }

        @Override
        public int choose(RecordedRequest r, List<BlockLruPod> candidates) {
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).name().equals(r.chosenPod())) {
                    return i;
                }
            }
            throw new IllegalStateException("chosen pod " + r.chosenPod() + " is not a candidate"); // ReplayPlan adds it
        }
    }

    private record Policy(RoutingPolicy policy, String description) implements Decider {
        @Override
        public String name() {
            return policy.name();
        }

        @Override
        public int choose(RecordedRequest r, List<BlockLruPod> candidates) {
            return policy.choose(r, candidates);
        }
    }

    private static List<Decider> deciders(WhatIfSettings s) {
        List<Decider> out = new ArrayList<>();
        out.add(new AsRecorded());
        out.add(new Policy(new RoundRobinPolicy(), "each service's candidates in turn, ignoring caches and load"));
        out.add(new Policy(new LeastLoadedPolicy(), "the candidate with the fewest requests in flight"));
        out.add(new Policy(new StickyOnlyPolicy(s.seed()), "the user's linked pod, else a random candidate "
                + "(seeded) linked from then on; a request without a user gets a random one"));
        s.kvrelayVariants().forEach((name, w) -> out.add(new Policy(new KvrelayCostPolicy(name, w), describe(w))));
        out.add(new Policy(new OraclePolicy(), "the longest cached prefix at the instant of the decision, ties to "
                + "fewer in flight: a greedy upper reference"));
        return out;
    }

    private static String describe(CostModel m) {
        return String.format(Locale.ROOT, "router-api's cost model (PodScorer: predicted TTFT with %s ms per "
                        + "uncached block, CPU hits %s and storage hits %s of it, %s ms per running request; links kept "
                        + "within %s ms of the best pod; overloaded at %d in flight or %s KV usage), knowing every "
                        + "cache and queue exactly (no index lag)", m.prefillMsPerBlock(), m.cpuBlockCost(),
                m.storageBlockCost(), m.runningMs(), m.stickySlackMs(), m.maxInFlight(), m.maxKvUsage());
    }

    private static PolicyOutcome replay(ReplayPlan plan, Decider decider, WhatIfSettings s, ServiceModel model) {
        BlockLruPod[] pods = new BlockLruPod[plan.pods()];
        for (int i = 0; i < pods.length; i++) {
            pods[i] = new BlockLruPod(plan.podNames.get(i), i, s.capacityOf(plan.podIds.get(i)));
        }
        ServiceModel.PrefillQueues queues = model.queues(pods.length);
        OutcomeTally tally = new OutcomeTally();
        for (int k = 0; k < plan.requests.size(); k++) {
            RecordedRequest r = plan.requests.get(k);
            double nowMs = r.atMs() - plan.startMs;
            List<BlockLruPod> candidates = new ArrayList<>(plan.candidates[k].length);
            for (int i : plan.candidates[k]) {
                pods[i].advanceTo(nowMs);
                candidates.add(pods[i]);
            }
            BlockLruPod pod = candidates.get(decider.choose(r, candidates));
            int hit = pod.serve(r);
            // One "output token" of decodeMs: the fixed time in flight after the first token.
            ServiceModel.Timing t = queues.admit(pod.index(), nowMs, r.promptBlocks() - hit, 1);
            pod.hold(r, t);
            tally.add(r.service(), r.promptBlocks(), hit, t.ttftMs());
        }
        return tally.outcome(decider.name(), decider.description(), plan.skipped);
    }
}
