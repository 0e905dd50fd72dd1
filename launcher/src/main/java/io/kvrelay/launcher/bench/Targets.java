package io.kvrelay.launcher.bench;

import java.util.ArrayList;
import java.util.List;

/** The targets, checked against kvrelay's figures as measured; NaN (not measured) is never reached. */
public final class Targets {
    private Targets() {
    }

    /** One target: {@code actual} compared with {@code threshold} ({@code atMost} or at least). */
    public record Target(String name, String rule, double actual, double threshold, boolean atMost, boolean reached) {
    }

    /** @param oracleHit the longest-cached-prefix oracle ({@link OraclePolicy}): the hit-rate reference */
    public static List<Target> check(PolicyResult kvrelay, PolicyResult oracleHit, PolicyResult roundRobin) {
        List<Target> out = new ArrayList<>();
        out.add(atLeast("hit rate vs oracle-hit", "kvrelay hit rate >= 95% of oracle-hit's",
                kvrelay.hitRate() / oracleHit.hitRate(), 0.95));
        out.add(atLeast("hit rate vs round-robin", "kvrelay hit rate >= 2x round-robin's",
                kvrelay.hitRate() / roundRobin.hitRate(), 2.0));
        out.add(atMost("load imbalance", "kvrelay max/mean in flight (mean of samples) <= 1.3",
                kvrelay.imbalance().meanOfSamples(), 1.3));
        PolicyResult.KvrelayExtras x = kvrelay.kvrelay();
        out.add(atMost("index freshness p99", "publication -> visible to the router, p99 <= 100 ms",
                x == null ? Double.NaN : x.freshnessP99Ms(), 100));
        out.add(atMost("router latency p99", "POST /v1/route over HTTP, client-measured, p99 <= 5 ms",
                x == null ? Double.NaN : x.routerP99Ms(), 5));
        return out;
    }

    private static Target atLeast(String name, String rule, double actual, double threshold) {
        return new Target(name, rule, actual, threshold, false, actual >= threshold);
    }

    private static Target atMost(String name, String rule, double actual, double threshold) {
        return new Target(name, rule, actual, threshold, true, actual <= threshold);
    }
}
