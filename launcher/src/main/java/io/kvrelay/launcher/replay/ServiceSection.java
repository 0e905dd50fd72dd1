package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.kvrelay.launcher.replay.ChartFrame.Legend;
import io.kvrelay.launcher.replay.SvgCharts.Marker;
import io.kvrelay.launcher.replay.SvgCharts.Series;
import io.kvrelay.policies.whatif.Counterfactual;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One service's block of the report: its pods' totals, blocks held and store/remove rates over time, block lifetimes,
 * prefix sharing, resets, the router's decisions and the counterfactual. Each pod keeps one colour in every chart.
 */
final class ServiceSection {
    private static final int MAX_RESET_ROWS = 12;
    private static final String DASHED = "7 4";

    private final JsonNode service;
    private final JsonNode samples;
    private final double[] at;
    private final List<String> pods;
    private final StringBuilder out = new StringBuilder();

    private ServiceSection(JsonNode service) {
        this.service = service;
        JsonNode raw = service.path("samples");
        this.samples = raw.isArray() ? raw : JsonNodeFactory.instance.arrayNode(); // get(i) needs an array
        this.at = new double[samples.size()];
        for (int i = 0; i < at.length; i++) {
            at[i] = HtmlText.instant(samples.get(i).path("at"));
        }
        Set<String> names = new LinkedHashSet<>();
        service.path("pods").forEach(p -> names.add(HtmlText.text(p.path("pod"))));
        samples.forEach(s -> s.path("blocksHeld").fieldNames().forEachRemaining(names::add));
        service.path("resets").forEach(r -> names.add(HtmlText.text(r.path("pod"))));
        this.pods = new ArrayList<>(names);
    }

    /** The section for one element of replay.json's {@code services}; {@code id} is its anchor. */
    static String render(JsonNode service, String id) {
        return new ServiceSection(service).html(id);
    }

    private String html(String id) {
        out.append("<section class=\"service\" id=\"").append(HtmlText.escape(id)).append("\">\n<h2>Service ")
                .append(HtmlText.escape(HtmlText.text(service.path("service"))))
                .append("</h2>\n<div class=\"grid\">\n");
        out.append(HtmlText.card("Pods", true, podTable()));
        String noSamples = HtmlText.noData("no samples");
        boolean timed = hasTimedSamples();
        out.append(HtmlText.card("Blocks held", false, timed ? SvgCharts.lines("blocks held per pod",
                "blocks held", podSeries("blocksHeld", ""), podLegend(List.of())) : noSamples));
        out.append(HtmlText.card("Store and remove rates", false, timed ? ratesChart() : noSamples));
        out.append(HtmlText.card("Block lifetimes", false, lifetimes()));
        out.append(HtmlText.card("Prefix sharing at the last sample", false, sharing()));
        out.append(HtmlText.card("Mean holders per key", false, timed ? meanHolders() : noSamples));
        out.append(HtmlText.card("Resets", false, resets()));
        out.append(HtmlText.card("Decisions", true, decisions()));
        out.append(HtmlText.card("Counterfactual: the same requests under other policies", true,
                counterfactual()));
        return out.append("</div>\n</section>\n").toString();
    }

    private String podTable() {
        if (service.path("pods").isEmpty()) {
            return HtmlText.noData("no pod published an event");
        }
        HtmlText.Table t = new HtmlText.Table("pod", "batches", "blocks stored", "blocks removed", "clears",
                "resets by reason", "peak blocks held", "lifetime p50", "lifetime p99", "decisions", "decision hit rate");
        for (JsonNode p : service.path("pods")) {
            List<String> resets = new ArrayList<>();
            p.path("resets").fields().forEachRemaining(e ->
                    resets.add(e.getKey() + " " + HtmlText.count(e.getValue())));
            t.row(HtmlText.text(p.path("pod")), HtmlText.count(p.path("batches")),
                    HtmlText.count(p.path("blocksStored")), HtmlText.count(p.path("blocksRemoved")),
                    HtmlText.count(p.path("clears")),
                    resets.isEmpty() ? "none" : String.join(", ", resets), HtmlText.count(p.path("peakBlocksHeld")),
                    HtmlText.duration(p.path("lifetimeP50Ms")), HtmlText.duration(p.path("lifetimeP99Ms")),
                    HtmlText.count(p.path("decisionsRouted")), HtmlText.share(p.path("decisionHitRate")));
        }
        return t.html();
    }

    private boolean hasTimedSamples() {
        for (double t : at) {
            if (!Double.isNaN(t)) {
                return true;
            }
        }
        return false;
    }

    /** One series per pod of a per-pod map in every sample ({@code blocksHeld}, {@code storedPerSecond}, ...). */
    private List<Series> podSeries(String field, String dash) {
        List<Series> out = new ArrayList<>();
        for (int p = 0; p < pods.size(); p++) {
            double[] v = new double[at.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = HtmlText.value(samples.get(i).path(field).get(pods.get(p)));
            }
            out.add(new Series(pods.get(p), SvgCharts.color(p), dash, at, v));
        }
        return out;
    }

    private List<Legend> podLegend(List<Legend> more) {
        List<Legend> out = new ArrayList<>();
        for (int p = 0; p < pods.size(); p++) {
            out.add(new Legend(pods.get(p), SvgCharts.color(p), ""));
        }
        out.addAll(more);
        return out;
    }

    private String ratesChart() {
        List<Series> series = new ArrayList<>(podSeries("storedPerSecond", ""));
        series.addAll(podSeries("removedPerSecond", DASHED));
        return SvgCharts.lines("stored and removed blocks per second per pod", "blocks / s", series,
                podLegend(List.of(new Legend("stored", "#222", ""), new Legend("removed", "#222", DASHED))));
    }

    private String lifetimes() {
        JsonNode l = service.path("lifetimes");
        StringBuilder sb = new StringBuilder();
        List<String> labels = new ArrayList<>();
        List<Double> counts = new ArrayList<>();
        String previous = null;
        for (JsonNode b : l.path("buckets")) {
            double upTo = HtmlText.value(b.path("upToMs"));
            labels.add(!Double.isNaN(upTo) ? "\u2264" + Ticks.duration(upTo)
                    : previous == null ? "all" : "> " + previous); // the open last bucket
            previous = Double.isNaN(upTo) ? previous : Ticks.duration(upTo);
            double c = HtmlText.value(b.path("count"));
            counts.add(Double.isNaN(c) ? 0 : c);
        }
        if (counts.stream().anyMatch(c -> c > 0)) {
            sb.append(SvgCharts.bars("block lifetimes", "lifetime, from stored to removed", "blocks", labels,
                    counts.stream().mapToDouble(Double::doubleValue).toArray(), SvgCharts.color(0)));
        } else {
            sb.append(HtmlText.noData("no block was removed in the window, so no lifetime ended"));
        }
        if (!l.isObject()) {
            return sb.toString();
        }
        sb.append("<p>").append(HtmlText.count(l.path("ended"))).append(" lifetimes ended in the window; ")
                .append(HtmlText.count(l.path("stillHeld"))).append(" blocks still held at its end.");
        if (HtmlText.value(service.path("removedUnseen")) > 0 || HtmlText.value(service.path("storedUnchained")) > 0) {
            // A window that starts mid-log starts cold: say how much of the cache it could not see.
            sb.append(" Stored before the window: ").append(HtmlText.count(service.path("removedUnseen")))
                    .append(" blocks removed in it (no lifetime known), ")
                    .append(HtmlText.count(service.path("storedUnchained")))
                    .append(" blocks stored on a prefix that began before it (skipped).");
        }
        if (!Double.isNaN(HtmlText.value(l.path("p50Ms")))) {
            sb.append(" p50 ").append(duration(l.path("p50Ms")))
                    .append(" \u00b7 p90 ").append(duration(l.path("p90Ms")))
                    .append(" \u00b7 p99 ").append(duration(l.path("p99Ms")))
                    .append(" \u00b7 max ").append(duration(l.path("maxMs"))).append('.');
        }
        return sb.append("</p>\n").toString();
    }

    private static String duration(JsonNode ms) {
        double v = HtmlText.value(ms);
        return Double.isNaN(v) ? HtmlText.NONE : HtmlText.escape(Ticks.duration(v));
    }

    private String sharing() {
        JsonNode last = samples.isEmpty() ? null : samples.get(samples.size() - 1);
        Map<Integer, Double> byHolders = new TreeMap<>();
        if (last != null) {
            last.path("holders").fields().forEachRemaining(e -> {
                try {
                    byHolders.put(Integer.parseInt(e.getKey().trim()), HtmlText.value(e.getValue()));
                } catch (NumberFormatException ignored) {
                    // a key that is not a holder count cannot be placed on the axis
                }
            });
        }
        if (byHolders.isEmpty()) {
            return HtmlText.noData("no key held at the last sample");
        }
        List<String> labels = new ArrayList<>();
        byHolders.keySet().forEach(k -> labels.add(Integer.toString(k)));
        String chart = SvgCharts.bars("keys by number of pods holding them", "pods holding the key", "keys", labels,
                byHolders.values().stream().mapToDouble(v -> Double.isNaN(v) ? 0 : v).toArray(), SvgCharts.color(2));
        double mean = HtmlText.value(last.path("meanHolders"));
        return chart + "<p>At " + HtmlText.escape(HtmlText.text(last.path("at"))) + ": "
                + HtmlText.count(last.path("keys")) + " distinct keys, each held by "
                + (Double.isNaN(mean) ? HtmlText.NONE : Ticks.number(mean)) + " pods on average.</p>\n";
    }

    private String meanHolders() {
        double[] v = new double[at.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = HtmlText.value(samples.get(i).path("meanHolders"));
        }
        return SvgCharts.lines("mean pods holding each key over time", "pods per key",
                List.of(new Series("mean holders per key", SvgCharts.color(2), "", at, v)),
                List.of(new Legend("mean holders per key", SvgCharts.color(2), "")));
    }

    private String resets() {
        JsonNode resets = service.path("resets");
        if (resets.isEmpty()) {
            return HtmlText.noData("no worker reset in the window");
        }
        Set<String> reset = new HashSet<>();
        resets.forEach(r -> reset.add(HtmlText.text(r.path("pod"))));
        List<String> resetPods = pods.stream().filter(reset::contains).toList(); // one row each, in pod order
        double from = Double.POSITIVE_INFINITY;
        double to = Double.NEGATIVE_INFINITY;
        for (double t : at) {
            from = Double.isNaN(t) ? from : Math.min(from, t);
            to = Double.isNaN(t) ? to : Math.max(to, t);
        }
        Map<String, String> reasonColor = new LinkedHashMap<>();
        List<Marker> markers = new ArrayList<>();
        HtmlText.Table table = new HtmlText.Table("at", "pod", "reason");
        for (JsonNode r : resets) {
            String pod = HtmlText.text(r.path("pod"));
            String reason = HtmlText.text(r.path("reason"));
            String color = reasonColor.computeIfAbsent(reason, k -> SvgCharts.color(3 + reasonColor.size()));
            double t = HtmlText.instant(r.path("at"));
            if (!Double.isNaN(t)) {
                from = Math.min(from, t);
                to = Math.max(to, t);
                markers.add(new Marker(t, resetPods.indexOf(pod), color,
                        pod + ": " + reason + " at " + r.path("at").asText()));
            }
            if (table.size() < MAX_RESET_ROWS) {
                table.row(HtmlText.text(r.path("at")), pod, reason);
            }
        }
        List<Legend> legend = new ArrayList<>();
        reasonColor.forEach((reason, color) -> legend.add(Legend.box(reason, color)));
        String more = resets.size() > MAX_RESET_ROWS
                ? "<p class=\"muted\">and " + (resets.size() - MAX_RESET_ROWS) + " more resets.</p>\n" : "";
        return (markers.isEmpty() ? "" : SvgCharts.timeline("resets per pod over time", resetPods, from, to, markers,
                legend)) + table.html() + more;
    }

    private String decisions() {
        JsonNode d = service.path("decisions");
        if (!(HtmlText.value(d.path("total")) > 0)) {
            return HtmlText.noData("no route decision for this service (was the decisions topic read?)");
        }
        StringBuilder sb = new StringBuilder("<div class=\"pair\"><div>\n");
        sb.append(SvgCharts.hbars(SvgCharts.WIDTH, "hit rate of the decisions taken and what the router believed",
                List.of("taken (ground truth)", "router believed"),
                new double[] {HtmlText.value(d.path("hitRate")), HtmlText.value(d.path("routerSawHitRate"))}, 1,
                Ticks::percent, "hit rate (share of prompt blocks)",
                new String[] {SvgCharts.color(2), SvgCharts.color(4)}));
        sb.append("<p>").append(HtmlText.count(d.path("total"))).append(" decisions, ")
                .append(HtmlText.count(d.path("routed"))).append(" routed to a pod. The chosen pods held ")
                .append(HtmlText.count(d.path("hitBlocks"))).append(" of ")
                .append(HtmlText.count(d.path("promptBlocks")))
                .append(" prompt blocks (").append(HtmlText.share(d.path("hitRate")))
                .append("); the router believed they held ").append(HtmlText.count(d.path("routerSawBlocks")))
                .append(" (").append(HtmlText.share(d.path("routerSawHitRate"))).append(").</p>\n</div><div>\n");
        List<String> reasons = new ArrayList<>();
        List<Double> counts = new ArrayList<>();
        d.path("byReason").fields().forEachRemaining(e -> {
            reasons.add(e.getKey());
            counts.add(HtmlText.value(e.getValue()));
        });
        sb.append(reasons.isEmpty() ? HtmlText.noData("no decision reasons recorded")
                : SvgCharts.hbars(SvgCharts.WIDTH, "decisions by reason", reasons,
                        counts.stream().mapToDouble(Double::doubleValue).toArray(), 0, Ticks::number, "decisions",
                        SvgCharts.PALETTE));
        return sb.append("</div></div>\n").toString();
    }

    private String counterfactual() {
        List<JsonNode> policies = PolicyComparison.ordered(service.path("counterfactual"));
        if (policies.isEmpty()) {
            return HtmlText.noData("no counterfactual for this service");
        }
        return "<div class=\"pair table\"><div>\n" + PolicyComparison.hitRateChart(policies, 470)
                + "</div><div>\n"
                + PolicyComparison.table(policies) + "</div></div>\n";
    }
}
