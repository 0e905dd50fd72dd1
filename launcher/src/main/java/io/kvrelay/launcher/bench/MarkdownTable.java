package io.kvrelay.launcher.bench;

import java.util.List;
import java.util.Locale;

/** The results as a markdown table (also printed on stdout), and the targets as a second one. */
public final class MarkdownTable {
    private MarkdownTable() {
    }

    public static String results(List<PolicyResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| policy | requests | KV hit rate | prefill busy | imbalance mean (p99) | imbalance of averages "
                + "| TTFT mean ms | TTFT p50 ms | TTFT p99 ms | decisions without index | router p50/p99 ms "
                + "| freshness p50/p99 ms |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (PolicyResult r : results) {
            PolicyResult.KvrelayExtras x = r.kvrelay();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% | %s | %.2f (%.2f) | %.2f | %.0f | %.0f | %.0f "
                            + "| %s | %s | %s |%n",
                    r.policy(), r.requests(), 100 * r.hitRate(), percentOrDash(r.prefillBusy()),
                    r.imbalance().meanOfSamples(), r.imbalance().p99OfSamples(), r.imbalance().ofTimeAverages(),
                    r.ttftMeanMs(), r.ttftP50Ms(), r.ttftP99Ms(),
                    percentOrDash(x == null ? Double.NaN : x.decisionsWithoutIndex()),
                    x == null ? "–" : String.format(Locale.ROOT, "%.2f / %.2f", x.routerP50Ms(), x.routerP99Ms()),
                    x == null ? "–" : String.format(Locale.ROOT, "%.1f / %.1f (n=%d, %d timed out)",
                            x.freshnessP50Ms(), x.freshnessP99Ms(), x.freshnessSamples(), x.freshnessTimeouts())));
        }
        return sb.toString();
    }

    /** A share as a percentage, or a dash when not measured (an in-process policy has no router, so no index). */
    private static String percentOrDash(double share) {
        return Double.isNaN(share) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
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
