package io.kvrelay.launcher.bench;

import io.kvrelay.policies.Percentile;
import io.kvrelay.policies.ServiceModel;
import java.util.List;

/**
 * One policy's figures. Hit rate = Σ cached prompt blocks on the chosen pod ÷ Σ prompt blocks. Prefill busy = Σ
 * prefill time the policy caused (uncached blocks × prefillMsPerBlock) ÷ (pods × the span of arrivals): the fleet's
 * offered prefill load, above 1 when queues grow without bound; NaN without a service model. The kvrelay-only figures
 * (router latency, index freshness) are null for the in-process policies.
 */
public record PolicyResult(String policy, int requests, long promptBlocks, long hitBlocks, double hitRate,
                           double prefillBusy, LoadImbalance.Result imbalance, double ttftP50Ms, double ttftP99Ms,
                           double ttftMeanMs, KvrelayExtras kvrelay) {
    public PolicyResult {
        if (requests < 0 || promptBlocks < 0 || hitBlocks < 0 || hitBlocks > promptBlocks) {
            throw new IllegalArgumentException("inconsistent counts: " + hitBlocks + "/" + promptBlocks);
        }
    }

    /**
     * What only the real pipeline has: client-measured router latency over HTTP, index freshness (pod publication to
     * visible in stream-app's prefix-match), and how far the dispatcher fell behind the schedule.
     *
     * @param freshnessTimeouts     sampled publications not visible within the poll timeout (evicted again, or lost)
     * @param decisionsWithoutIndex share of decisions the router took without the index (it could not read it in
     *                              time, or chose not to); NaN when not measured
     */
    public record KvrelayExtras(double routerP50Ms, double routerP99Ms, int freshnessSamples, double freshnessP50Ms,
                                double freshnessP99Ms, int freshnessTimeouts, double dispatchLagP99Ms,
                                long failures, double stickyShare, double decisionsWithoutIndex) {
        /** Without the share of decisions taken without the index: not measured (NaN). */
        public KvrelayExtras(double routerP50Ms, double routerP99Ms, int freshnessSamples, double freshnessP50Ms,
                             double freshnessP99Ms, int freshnessTimeouts, double dispatchLagP99Ms, long failures,
                             double stickyShare) {
            this(routerP50Ms, routerP99Ms, freshnessSamples, freshnessP50Ms, freshnessP99Ms, freshnessTimeouts,
                    dispatchLagP99Ms, failures, stickyShare, Double.NaN);
        }
    }

    /** The figures without a service model: prefill busy is NaN. */
    public static PolicyResult of(String policy, List<Served> served, FleetLayout layout, double sampleMs,
                                  KvrelayExtras extras) {
        return of(policy, served, layout, sampleMs, null, extras);
    }

    public static PolicyResult of(String policy, List<Served> served, FleetLayout layout, double sampleMs,
                                  ServiceModel model, KvrelayExtras extras) {
        long prompt = 0;
        long hit = 0;
        double[] ttft = new double[served.size()];
        double sum = 0;
        double first = Double.POSITIVE_INFINITY;
        double last = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < ttft.length; i++) {
            Served s = served.get(i);
            prompt += s.promptBlocks();
            hit += s.hitBlocks();
            ttft[i] = s.ttftMs();
            sum += ttft[i];
            first = Math.min(first, s.arrivalMs());
            last = Math.max(last, s.arrivalMs());
        }
        double busy = model == null || !(last > first) ? Double.NaN
                : (prompt - hit) * model.prefillMsPerBlock() / (layout.pods() * (last - first));
        return new PolicyResult(policy, served.size(), prompt, hit, prompt == 0 ? Double.NaN : (double) hit / prompt,
                busy, LoadImbalance.measure(served, layout.serviceOfPod(), sampleMs), Percentile.of(ttft, 0.5),
                Percentile.of(ttft, 0.99), ttft.length == 0 ? Double.NaN : sum / ttft.length, extras);
    }
}
