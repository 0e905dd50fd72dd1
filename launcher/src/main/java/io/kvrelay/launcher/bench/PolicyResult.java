package io.kvrelay.launcher.bench;

import java.util.List;

/**
 * One policy's figures. Hit rate = Σ cached prompt blocks on the chosen pod ÷ Σ prompt blocks. The kvrelay-only
 * figures (router latency, index freshness) are null for the in-process policies.
 */
public record PolicyResult(String policy, int requests, long promptBlocks, long hitBlocks, double hitRate,
                           LoadImbalance.Result imbalance, double ttftP50Ms, double ttftP99Ms, double ttftMeanMs,
                           KvrelayExtras kvrelay) {
    public PolicyResult {
        if (requests < 0 || promptBlocks < 0 || hitBlocks < 0 || hitBlocks > promptBlocks) {
            throw new IllegalArgumentException("inconsistent counts: " + hitBlocks + "/" + promptBlocks);
        }
    }

    /**
     * What only the real pipeline has: client-measured router latency over HTTP, index freshness (pod publication to
     * visible in stream-app's prefix-match), and how far the dispatcher fell behind the schedule.
     *
     * @param freshnessTimeouts sampled publications not visible within the poll timeout (evicted again, or lost)
     */
    public record KvrelayExtras(double routerP50Ms, double routerP99Ms, int freshnessSamples, double freshnessP50Ms,
                                double freshnessP99Ms, int freshnessTimeouts, double dispatchLagP99Ms,
                                long failures, double stickyShare) {
    }

    public static PolicyResult of(String policy, List<Served> served, FleetLayout layout, double sampleMs,
                                  KvrelayExtras extras) {
        long prompt = 0;
        long hit = 0;
        double[] ttft = new double[served.size()];
        double sum = 0;
        for (int i = 0; i < ttft.length; i++) {
            Served s = served.get(i);
            prompt += s.promptBlocks();
            hit += s.hitBlocks();
            ttft[i] = s.ttftMs();
            sum += ttft[i];
        }
        return new PolicyResult(policy, served.size(), prompt, hit, prompt == 0 ? Double.NaN : (double) hit / prompt,
                LoadImbalance.measure(served, layout.serviceOfPod(), sampleMs), Percentile.of(ttft, 0.5),
                Percentile.of(ttft, 0.99), ttft.length == 0 ? Double.NaN : sum / ttft.length, extras);
    }
}
