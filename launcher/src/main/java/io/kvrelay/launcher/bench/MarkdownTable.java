package io.kvrelay.launcher.bench;

import java.util.List;
import java.util.Locale;

/** The results as a markdown table (also printed on stdout), and the targets as a second one. */
public final class MarkdownTable {
    private MarkdownTable() {
    }

    public static String results(List<PolicyResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| policy | requests | KV hit rate | imbalance mean (p99) | imbalance of averages "
                + "| TTFT p50 ms | TTFT p99 ms | router p50/p99 ms | freshness p50/p99 ms |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (PolicyResult r : results) {
            PolicyResult.KvrelayExtras x = r.kvrelay();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% | %.2f (%.2f) | %.2f | %.0f | %.0f | %s | %s |%n",
                    r.policy(), r.requests(), 100 * r.hitRate(), r.imbalance().meanOfSamples(),
                    r.imbalance().p99OfSamples(), r.imbalance().ofTimeAverages(), r.ttftP50Ms(), r.ttftP99Ms(),
                    x == null ? "–" : String.format(Locale.ROOT, "%.2f / %.2f", x.routerP50Ms(), x.routerP99Ms()),
                    x == null ? "–" : String.format(Locale.ROOT, "%.1f / %.1f (n=%d, %d timed out)",
                            x.freshnessP50Ms(), x.freshnessP99Ms(), x.freshnessSamples(), x.freshnessTimeouts())));
        }
        return sb.toString();
    }

    public static String targets(List<Targets.Target> targets) {
        StringBuilder sb = new StringBuilder("| target | rule | measured | reached |\n|---|---|---:|---|\n");
        for (Targets.Target t : targets) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s |%n", t.name(), t.rule(), t.actual(),
                    t.reached() ? "yes" : "**no**"));
        }
        return sb.toString();
    }
}
