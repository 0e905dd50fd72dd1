package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayHtmlTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String SVG_NS = "xmlns=\"http://www.w3.org/2000/svg\"";

    /** The fixture: 2 services (4 and 3 pods), 30 samples, resets, lifetimes, decisions, 6 policies. */
    static JsonNode sample() throws IOException {
        try (InputStream in = ReplayHtmlTest.class.getResourceAsStream("/replay/replay-sample.json")) {
            return JSON.readTree(in);
        }
    }

    @Test
    void shouldRenderOneSelfContainedDocument() throws Exception {
        String html = ReplayHtml.render(sample());

        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
        assertThat(count(html, "<html")).isEqualTo(1);
        assertThat(html.replace(SVG_NS, "")).doesNotContain("http://", "https://", "<script", "<link", "@import",
                "url(", "<img", "<iframe");
    }

    @Test
    void shouldDrawEveryChartAsWellFormedSvg() throws Exception {
        String html = ReplayHtml.render(sample());

        List<String> charts = svgs(html);
        // the whole replay: hit rate and TTFT per policy; per service (2): blocks held, rates, lifetimes,
        // holders at the last sample, mean holders, resets, decisions' hit rates, decisions by reason, policies
        assertThat(charts).hasSize(2 + 2 * 9);
        assertWellFormed(charts);
        for (String label : List.of("blocks held per pod", "stored and removed blocks per second per pod",
                "block lifetimes", "keys by number of pods holding them", "mean pods holding each key over time",
                "resets per pod over time", "decisions by reason", "KV-cache hit rate per policy")) {
            assertThat(count(html, "aria-label=\"" + label + "\"")).as(label).isGreaterThanOrEqualTo(2);
        }
        assertThat(html).contains("llama-8b-3", "qwen-7b-2", "UNRECOVERABLE_GAP", "round-robin", "oracle",
                "prefillMsPerBlock", "default/chat/llama-8b-3: 2,000; default/summarize/qwen-7b-0", "&gt; 2 min");
    }

    @Test
    void shouldKeepInfinitiesOutOfTheCharts() throws Exception {
        ObjectNode json = (ObjectNode) sample();
        ObjectNode first = (ObjectNode) json.path("counterfactual").path("policies").get(0);
        first.put("hitRate", "Infinity");
        first.put("meanTtftMs", Double.NEGATIVE_INFINITY);
        String html = ReplayHtml.render(json);
        assertThat(html).doesNotContain("Infinity").doesNotContain("NaN");
    }

    @Test
    void shouldShowModelSettingsAsGivenNotRounded() throws Exception {
        JsonNode json = JSON.readTree("""
                {"counterfactual": {"model": {"defaultCapacityBlocks": 1024,
                  "kvrelayVariants": {"kvrelay": {"cpuBlockCost": 0.25, "maxKvUsage": 0.98}}}}}
                """);
        assertThat(ReplayHtml.render(json)).contains("1,024", "cpuBlockCost: 0.25", "maxKvUsage: 0.98");
    }

    @Test
    void shouldListTheRecordedPolicyFirst() throws Exception {
        ObjectNode json = (ObjectNode) sample();
        ArrayNode policies = (ArrayNode) json.get("counterfactual").get("policies");
        policies.add(policies.remove(0)); // as-recorded last in the JSON

        String html = ReplayHtml.render(json);

        int firstBar = html.indexOf("aria-label=\"KV-cache hit rate per policy\"");
        assertThat(html.indexOf(">as-recorded<", firstBar)).isLessThan(html.indexOf(">round-robin<", firstBar));
    }

    @Test
    void shouldEscapeNamesFromTheLog() throws Exception {
        JsonNode json = JSON.readTree("""
                {"services": [{"service": "ns/<i>svc</i>",
                  "pods": [{"pod": "<b>&x", "batches": 1, "resets": {"<r>": 1}}],
                  "samples": [{"at": "2026-11-22T10:00:10Z", "blocksHeld": {"<b>&x": 5},
                               "storedPerSecond": {"<b>&x": 1.5}, "removedPerSecond": {"<b>&x": 0}}],
                  "resets": [{"at": "2026-11-22T10:00:05Z", "pod": "<b>&x", "reason": "\\"quoted\\""}]}]}
                """);

        String html = ReplayHtml.render(json);

        assertThat(html).contains("&lt;b&gt;&amp;x", "ns/&lt;i&gt;svc&lt;/i&gt;", "&lt;r&gt; 1", "&quot;quoted&quot;")
                .doesNotContain("<b>&x", "<i>svc", "<r>");
        assertWellFormed(svgs(html));
    }

    @Test
    void shouldSayThereIsNoDataForAnEmptyReplay() throws Exception {
        for (String json : List.of("{}", "{\"services\": [], \"window\": null, \"run\": 3}")) {
            String html = ReplayHtml.render(JSON.readTree(json));

            assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
                    .contains("No data: no window recorded", "No data: no counterfactual in this replay",
                            "No data: no service published events in this window")
                    .doesNotContain("<svg");
        }
        assertThat(ReplayHtml.render(null)).contains("No data: no window recorded");
    }

    @Test
    void shouldSayThereIsNoDataWithoutDecisionsOrCounterfactual() throws Exception {
        ObjectNode json = (ObjectNode) sample();
        json.remove("counterfactual");
        json.get("services").forEach(s -> ((ObjectNode) s).remove(List.of("decisions", "counterfactual")));

        String html = ReplayHtml.render(json);

        assertThat(count(html, "No data: no route decision for this service")).isEqualTo(2);
        assertThat(count(html, "No data: no counterfactual for this service")).isEqualTo(2);
        assertThat(html).contains("No data: no counterfactual in this replay", "No data: no model recorded");
        assertThat(svgs(html)).hasSize(2 * 6);
    }

    @Test
    void shouldSurviveFieldsOfTheWrongShape() throws Exception {
        JsonNode json = JSON.readTree("""
                {"window": {"sampleSeconds": "ten", "firstEventAt": 5},
                 "run": {"records": "12", "seconds": null},
                 "services": [{"service": null}, 7, {"pods": [{"pod": "p", "resets": 3}],
                   "samples": [{"at": "not a time", "holders": {"x": 1, "2": "n"}}, {"at": null}],
                   "lifetimes": {"buckets": [{"upToMs": null, "count": 4}], "p50Ms": "slow"},
                   "resets": [{"pod": "p"}], "decisions": {"total": 2, "byReason": []},
                   "counterfactual": [{"policy": "as-recorded"}, 1]},
                   {"service": "s", "samples": {"at": 1}, "pods": {"p": 1}, "resets": "x", "lifetimes": 2}],
                 "counterfactual": {"model": [], "policies": {"a": 1}}}
                """);

        String html = ReplayHtml.render(json);

        assertThat(html).endsWith("</html>\n").contains("No data: no samples", ">all<", "No data: no model recorded");
        assertWellFormed(svgs(html));
    }

    @Test
    void shouldKeepADayOfSamplesSmall() throws Exception {
        ObjectNode service = JSON.createObjectNode().put("service", "default/chat");
        ArrayNode samples = service.putArray("samples");
        Instant t = Instant.parse("2026-11-22T00:00:00Z");
        for (int i = 0; i < 8_640; i++) { // 24 h of 10 s samples
            ObjectNode s = samples.addObject().put("at", t.plusSeconds(10L * i).toString()).put("meanHolders", 1.5);
            for (String field : List.of("blocksHeld", "storedPerSecond", "removedPerSecond")) {
                ObjectNode perPod = s.putObject(field);
                for (int p = 0; p < 4; p++) {
                    perPod.put("pod-" + p, (i * 7919L + p * 104_729L) % 2_000);
                }
            }
        }
        ObjectNode json = JSON.createObjectNode();
        json.putArray("services").add(service);

        String html = ReplayHtml.render(json);

        // every point would be some 1.7 MB of path; at most four points per pixel column is far less
        assertThat(html.length()).isLessThan(600_000);
        assertWellFormed(svgs(html));
    }

    @Test
    void shouldWriteReportHtmlIntoTheDirectory(@TempDir Path dir) throws Exception {
        Path file = ReplayHtml.write(dir.resolve("out"), sample());

        assertThat(file).isEqualTo(dir.resolve("out").resolve("report.html"));
        assertThat(Files.readString(file)).isEqualTo(ReplayHtml.render(sample()));
    }

    static List<String> svgs(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** Each chart parses as XML: an unescaped name or a bad attribute would break the whole drawing. */
    private static void assertWellFormed(List<String> svgs) throws Exception {
        for (String svg : svgs) {
            DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }
}
