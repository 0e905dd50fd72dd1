package io.kvrelay.launcher.bench;

import io.kvrelay.policies.OraclePolicy;
import java.util.ArrayList;
import java.util.List;

/** The targets, checked against kvrelay's figures as measured; NaN (not measured) is never reached. */
public final class Targets {
    /** The chat workload's load-imbalance bound. */
    public static final double CHAT_IMBALANCE = 1.5;
    private Targets() {
    }

    /** One target: {@code actual} compared with {@code threshold} ({@code atMost} or at least). */
    public record Target(String name, String rule, double actual, double threshold, boolean atMost, boolean reached) {
    }

    /**
     * On the generated chat workload (issue 12): hit rate still at least 95% of the longest-prefix oracle's, twice
     * round-robin's, load imbalance at most 1.5; the index fresh and the router fast (earlier issues' targets).
     *
     * @param oracleHit the longest-cached-prefix oracle ({@link OraclePolicy}): the hit-rate reference
     */
    public static List<Target> chat(PolicyResult kvrelay, PolicyResult oracleHit, PolicyResult roundRobin) {
        List<Target> out = new ArrayList<>();
        out.add(atLeast("hit rate vs oracle-hit", "kvrelay hit rate >= 95% of oracle-hit's",
                kvrelay.hitRate() / oracleHit.hitRate(), 0.95));
        out.add(atLeast("hit rate vs round-robin", "kvrelay hit rate >= 2x round-robin's",
                kvrelay.hitRate() / roundRobin.hitRate(), 2.0));
        out.add(atMost("load imbalance", "kvrelay max/mean in flight (mean of samples) <= 1.5",
                kvrelay.imbalance().meanOfSamples(), CHAT_IMBALANCE));
        PolicyResult.KvrelayExtras x = kvrelay.kvrelay();
        out.add(atMost("index freshness p99", "publication -> visible to the router, p99 <= 100 ms",
                x == null ? Double.NaN : x.freshnessP99Ms(), 100));
        out.add(atMost("router latency p99", "POST /v1/route over HTTP, client-measured, p99 <= 5 ms",
                x == null ? Double.NaN : x.routerP99Ms(), 5));
        return out;
    }

    /**
     * On a trace (issue 12: long prompts, 15-25% reuse, the fleet about 70% busy): mean TTFT at most 1.3x the
     * TTFT oracle's and 0.7x round-robin's, hit rate at least 0.9x the hit oracle's, no decision without the index.
     */
    public static List<Target> trace(PolicyResult kvrelay, PolicyResult oracleHit, PolicyResult oracleTtft,
                                     PolicyResult roundRobin) {
        List<Target> out = new ArrayList<>();
        out.add(atMost("mean TTFT vs oracle-ttft", "kvrelay mean TTFT <= 1.3x oracle-ttft's",
                kvrelay.ttftMeanMs() / oracleTtft.ttftMeanMs(), 1.3));
        out.add(atMost("mean TTFT vs round-robin", "kvrelay mean TTFT <= 0.7x round-robin's",
                kvrelay.ttftMeanMs() / roundRobin.ttftMeanMs(), 0.7));
        out.add(atLeast("hit rate vs oracle-hit", "kvrelay hit rate >= 0.9x oracle-hit's",
                kvrelay.hitRate() / oracleHit.hitRate(), 0.9));
        PolicyResult.KvrelayExtras x = kvrelay.kvrelay();
        out.add(atMost("decisions without index", "share of decisions taken without the index = 0",
                x == null ? Double.NaN : x.decisionsWithoutIndex(), 0));
        return out;
    }

    private static Target atLeast(String name, String rule, double actual, double threshold) {
        return new Target(name, rule, actual, threshold, false, actual >= threshold);
    }

    private static Target atMost(String name, String rule, double actual, double threshold) {
        return new Target(name, rule, actual, threshold, true, actual <= threshold);
    }
}
