package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.policies.whatif.Counterfactual;
import java.util.ArrayList;
import java.util.List;

/**
 * The counterfactual's policies side by side, the recorded routing first: bars of the hit rate each would have had,
 * bars of its mean TTFT, and the table of its figures. Used for the whole replay and for each service.
 */
final class PolicyComparison {
    static final String RECORDED = Counterfactual.AS_RECORDED;

    private PolicyComparison() {
    }

    /** The policies, {@value #RECORDED} first, the rest in the order the replay wrote them. */
    static List<JsonNode> ordered(JsonNode policies) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : policies) {
            if (RECORDED.equals(p.path("policy").asText())) {
                out.add(0, p);
            } else if (p.isObject()) {
                out.add(p);
            }
        }
        return out;
    }

    /** {@code width}: {@link SvgCharts#WIDTH} for a chart of its own, less beside the table. */
    static String hitRateChart(List<JsonNode> policies, int width) {
        return SvgCharts.hbars(width, "KV-cache hit rate per policy", names(policies), values(policies, "hitRate"), 1,
                Ticks::percent, "hit rate (share of prompt blocks the chosen pod held)", SvgCharts.PALETTE);
    }

    static String ttftChart(List<JsonNode> policies) {
        return SvgCharts.hbars(SvgCharts.WIDTH, "mean TTFT per policy", names(policies),
                values(policies, "meanTtftMs"), 0, v -> Ticks.number(v) + " ms",
                "mean time to first token, ms (modelled)", SvgCharts.PALETTE);
    }

    /** The table; descriptions and p99 TTFT only where some policy has them. */
    static String table(List<JsonNode> policies) {
        boolean described = policies.stream().anyMatch(p -> p.hasNonNull("description"));
        boolean p99 = policies.stream().anyMatch(p -> p.hasNonNull("p99TtftMs"));
        List<String> header = new ArrayList<>(List.of("policy"));
        if (described) {
            header.add("what it does");
        }
        header.addAll(List.of("requests", "prompt blocks", "hit blocks", "hit rate", "mean TTFT"));
        if (p99) {
            header.add("p99 TTFT");
        }
        HtmlText.Table t = new HtmlText.Table(header.toArray(String[]::new));
        for (JsonNode p : policies) {
            List<String> row = new ArrayList<>(List.of(HtmlText.text(p.path("policy"))));
            if (described) {
                row.add(HtmlText.text(p.path("description")));
            }
            row.addAll(List.of(HtmlText.count(p.path("requests")), HtmlText.count(p.path("promptBlocks")),
                    HtmlText.count(p.path("hitBlocks")), HtmlText.share(p.path("hitRate")),
                    HtmlText.ms(p.path("meanTtftMs"))));
            if (p99) {
                row.add(HtmlText.ms(p.path("p99TtftMs")));
            }
            t.row(row.toArray(String[]::new));
        }
        return t.html();
    }

    private static double[] values(List<JsonNode> policies, String field) {
        return policies.stream().mapToDouble(p -> HtmlText.value(p.path(field))).toArray();
    }

    private static List<String> names(List<JsonNode> policies) {
        return policies.stream().map(p -> HtmlText.text(p.path("policy"))).toList();
    }
}
