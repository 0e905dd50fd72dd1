package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.kvrelay.policies.whatif.Counterfactual;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * report.html: the replay as one self-contained page rendered from the same JSON tree as replay.json (so the two
 * never disagree). Inline CSS and inline SVG charts drawn here; no script, no font, no address outside the file, so it
 * opens offline and can be mailed or attached as it is. A section without data says so in one line.
 */
final class ReplayHtml {
    static final String FILE = "report.html";
    /** How many entries of a map or list in the model the table shows (a capacity per pod can be hundreds). */
    private static final int MODEL_ENTRIES = 16;

    private static final String CSS = """
            body{margin:0;background:#f3f5f8;color:#1b2430;font:14px/1.45 "DejaVu Sans",Arial,sans-serif}
            main{max-width:1200px;margin:0 auto;padding:12px 24px 32px}
            h1{font-size:26px;margin:10px 0 2px}
            h2{font-size:21px;margin:30px 0 10px;padding-top:10px;border-top:4px solid #34495e}
            h3{font-size:15px;margin:0 0 8px}
            .grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px;margin-top:14px}
            .card{background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:10px 14px}
            .wide{grid-column:1/-1}
            .pair{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:28px;align-items:start}
            .pair.table{grid-template-columns:minmax(0,1fr) auto}
            table{border-collapse:collapse;font-size:13px;margin:4px 0}
            th{text-align:left;background:#eef1f5}
            th,td{padding:3px 10px;border-bottom:1px solid #e1e6ec}
            th,td:first-child{white-space:nowrap}
            td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            table.kv td.n{text-align:left}
            svg{display:block;width:100%;height:auto;margin:2px 0 6px}
            p{margin:6px 0}
            .muted{color:#5a6573}
            .nodata{color:#6b7684;font-style:italic}
            nav a{margin-right:14px}
            @media (max-width:900px){.grid,.pair,.pair.table{grid-template-columns:minmax(0,1fr)}}
            """;

    private ReplayHtml() {
    }

    /** Writes {@value #FILE} into {@code dir} (created if missing) and returns its path. */
    static Path write(Path dir, JsonNode replay) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(FILE), render(replay), StandardCharsets.UTF_8);
    }

    static String render(JsonNode replay) {
        JsonNode r = replay == null ? MissingNode.getInstance() : replay;
        JsonNode window = r.path("window");
        String span = HtmlText.text(window.path("firstEventAt")) + " to " + HtmlText.text(window.path("lastEventAt"));
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>kvrelay replay: ").append(HtmlText.escape(span)).append("</title>\n<style>\n")
                .append(CSS).append("</style>\n</head>\n<body>\n<main>\n<h1>kvrelay replay</h1>\n")
                .append("<p class=\"muted\">Events from ").append(HtmlText.escape(span))
                .append(", re-read from the Kafka event log and rebuilt with stream-app's own code.</p>\n");
        List<JsonNode> services = new ArrayList<>();
        r.path("services").forEach(services::add);
        sb.append(navigation(services)).append("<div class=\"grid\">\n");
        sb.append(HtmlText.card("Window", false,
                window.isObject() ? windowTable(window) : HtmlText.noData("no window recorded")));
        sb.append(HtmlText.card("Run", false,
                r.path("run").isObject() ? runTable(r.path("run")) : HtmlText.noData("no run figures")));
        List<JsonNode> policies = PolicyComparison.ordered(r.path("counterfactual").path("policies"));
        if (policies.isEmpty()) {
            sb.append(HtmlText.card("Counterfactual: every service's requests under other policies", true,
                    HtmlText.noData("no counterfactual in this replay")));
        } else {
            sb.append(HtmlText.card("Counterfactual: hit rate per policy, all services", false,
                    PolicyComparison.hitRateChart(policies, SvgCharts.WIDTH)));
            sb.append(HtmlText.card("Counterfactual: mean TTFT per policy, all services", false,
                    PolicyComparison.ttftChart(policies)));
            sb.append(HtmlText.card("Counterfactual policies, all services", true, PolicyComparison.table(policies)));
        }
        JsonNode model = r.path("counterfactual").path("model");
        sb.append(HtmlText.card("Services", true, services.isEmpty()
                ? HtmlText.noData("no service published events in this window") : overview(services)));
        sb.append(HtmlText.card("Model assumptions of the counterfactual", true,
                model.isObject() && !model.isEmpty() ? modelTable(model) : HtmlText.noData("no model recorded")));
        sb.append("</div>\n");
        for (int i = 0; i < services.size(); i++) {
            sb.append(ServiceSection.render(services.get(i), "service-" + (i + 1)));
        }
        return sb.append("<p class=\"muted\">Written by kvrelay replay from replay.json; times are UTC.</p>\n")
                .append("</main>\n</body>\n</html>\n").toString();
    }

    private static String navigation(List<JsonNode> services) {
        if (services.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("<nav>Services: ");
        for (int i = 0; i < services.size(); i++) {
            sb.append("<a href=\"#service-").append(i + 1).append("\">")
                    .append(HtmlText.escape(HtmlText.text(services.get(i).path("service")))).append("</a>");
        }
        return sb.append("</nav>\n").toString();
    }

    /** One line per service: its size, its activity and the hit rate its decisions got. */
    private static String overview(List<JsonNode> services) {
        HtmlText.Table t = new HtmlText.Table("service", "pods", "blocks stored", "resets", "decisions", "hit rate");
        for (JsonNode s : services) {
            double stored = 0;
            for (JsonNode p : s.path("pods")) {
                double v = HtmlText.value(p.path("blocksStored"));
                stored += Double.isNaN(v) ? 0 : v;
            }
            t.row(HtmlText.text(s.path("service")), Integer.toString(s.path("pods").size()),
                    HtmlText.count(stored),
                    Integer.toString(s.path("resets").size()), HtmlText.count(s.path("decisions").path("total")),
                    HtmlText.share(s.path("decisions").path("hitRate")));
        }
        return t.html();
    }

    private static String windowTable(JsonNode w) {
        double sample = HtmlText.value(w.path("sampleSeconds"));
        return fields(w, HtmlText::text, "KV events topic", "kvEventsTopic", "decisions topic", "decisionsTopic",
                "from", "from", "to", "to", "first event", "firstEventAt", "last event", "lastEventAt")
                .row("sample interval", Double.isNaN(sample) ? HtmlText.NONE : Ticks.number(sample) + " s")
                .styled("kv").html();
    }

    private static String runTable(JsonNode run) {
        double seconds = HtmlText.value(run.path("seconds"));
        return fields(run, HtmlText::count, "records read", "records", "event records", "eventRecords",
                "decision records", "decisionRecords", "events", "events", "undecodable records", "undecodableRecords",
                "records per second", "recordsPerSecond", "events per second", "eventsPerSecond")
                .row("replay took", Double.isNaN(seconds) ? HtmlText.NONE : HtmlText.count(seconds) + " s")
                .html();
    }

    /** A table without header of some of an object's fields: label, field name, label, field name... */
    private static HtmlText.Table fields(JsonNode node, Function<JsonNode, String> format, String... labelThenField) {
        HtmlText.Table t = new HtmlText.Table("", "");
        for (int i = 0; i + 1 < labelThenField.length; i += 2) {
            t.row(labelThenField[i], format.apply(node.path(labelThenField[i + 1])));
        }
        return t;
    }

    private static String modelTable(JsonNode model) {
        HtmlText.Table t = new HtmlText.Table("parameter", "value").styled("kv");
        model.fields().forEachRemaining(e -> t.row(e.getKey(), describe(e.getValue(), false)));
        return t.html();
    }

    /**
     * A value of the model on one line: numbers as counts, maps and lists as {@code key: value; ...} (a capacity per
     * pod, the weights of each kvrelay variant), nested ones in parentheses.
     */
    private static String describe(JsonNode v, boolean nested) {
        if (v.isNumber()) {
            // A setting is shown as given (0.25, 0.98), never rounded: a whole one with separators (1,024).
            return v.asDouble() == Math.rint(v.asDouble()) ? HtmlText.count(v) : v.asText();
        }
        if (!v.isContainerNode()) {
            return HtmlText.text(v);
        }
        List<String> parts = new ArrayList<>();
        if (v.isObject()) {
            v.fields().forEachRemaining(e -> parts.add(e.getKey() + ": " + describe(e.getValue(), true)));
        } else {
            v.forEach(item -> parts.add(describe(item, true)));
        }
        int shown = Math.min(parts.size(), MODEL_ENTRIES);
        String line = String.join("; ", parts.subList(0, shown))
                + (parts.size() > shown ? "; \u2026 (" + parts.size() + " in all)" : "");
        return nested && parts.size() > 1 ? "(" + line + ")" : line;
    }
}
