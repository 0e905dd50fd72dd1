package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The report's tables as CSV for tools (one header line, RFC 4180 quoting), written from the same JSON tree as
 * replay.json so the two never disagree: pods.csv, pod-samples.csv, sharing.csv, lifetimes.csv, resets.csv,
 * decisions.csv, counterfactual.csv.
 */
final class ReplayCsv {
    private ReplayCsv() {
    }

    static void write(Path dir, JsonNode report) throws IOException {
        Table pods = new Table("service", "pod", "batches", "blocks_stored", "blocks_removed", "clears", "resets",
                "peak_blocks_held", "lifetimes_ended", "lifetime_p50_ms", "lifetime_p99_ms", "decisions_routed",
                "decision_hit_rate");
        Table samples = new Table("time", "service", "pod", "blocks_held", "stored_per_second", "removed_per_second");
        Table sharing = new Table("time", "service", "holders", "keys");
        Table lifetimes = new Table("service", "up_to_ms", "count");
        Table resets = new Table("time", "service", "pod", "reason");
        Table decisions = new Table("service", "decisions", "routed", "prompt_blocks", "hit_blocks", "hit_rate",
                "router_saw_hit_blocks", "router_saw_hit_rate");
        Table whatIf = new Table("service", "policy", "requests", "prompt_blocks", "hit_blocks", "hit_rate",
                "mean_ttft_ms", "p99_ttft_ms");
        for (JsonNode s : report.path("services")) {
            String svc = s.path("service").asText();
            for (JsonNode p : s.path("pods")) {
                StringBuilder r = new StringBuilder();
                p.path("resets").fields().forEachRemaining(e -> r.append(r.length() > 0 ? ";" : "")
                        .append(e.getKey()).append('=').append(e.getValue().asText()));
                pods.row(svc, p.path("pod").asText(), p.path("batches").asText(), p.path("blocksStored").asText(),
                        p.path("blocksRemoved").asText(), p.path("clears").asText(), r.toString(),
                        p.path("peakBlocksHeld").asText(), p.path("lifetimesEnded").asText(),
                        text(p.path("lifetimeP50Ms")), text(p.path("lifetimeP99Ms")),
                        p.path("decisionsRouted").asText(), text(p.path("decisionHitRate")));
            }
            for (JsonNode sample : s.path("samples")) {
                String at = sample.path("at").asText();
                for (Iterator<Map.Entry<String, JsonNode>> it = sample.path("blocksHeld").fields(); it.hasNext(); ) {
                    var e = it.next();
                    samples.row(at, svc, e.getKey(), e.getValue().asText(),
                            sample.path("storedPerSecond").path(e.getKey()).asText(),
                            sample.path("removedPerSecond").path(e.getKey()).asText());
                }
                sample.path("holders").fields().forEachRemaining(e ->
                        sharing.row(at, svc, e.getKey(), e.getValue().asText()));
            }
            for (JsonNode b : s.path("lifetimes").path("buckets")) {
                lifetimes.row(svc, b.path("upToMs").isNull() ? "" : b.path("upToMs").asText(), b.path("count").asText());
            }
            for (JsonNode r : s.path("resets")) {
                resets.row(r.path("at").asText(), svc, r.path("pod").asText(), r.path("reason").asText());
            }
            JsonNode d = s.path("decisions");
            if (d.path("total").asLong() > 0) {
                decisions.row(svc, d.path("total").asText(), d.path("routed").asText(), d.path("promptBlocks").asText(),
                        d.path("hitBlocks").asText(), text(d.path("hitRate")), d.path("routerSawBlocks").asText(),
                        text(d.path("routerSawHitRate")));
            }
            for (JsonNode o : s.path("counterfactual")) {
                policyRow(whatIf, svc, o);
            }
        }
        for (JsonNode o : report.path("counterfactual").path("policies")) {
            policyRow(whatIf, "*", o);
        }
        pods.write(dir.resolve("pods.csv"));
        samples.write(dir.resolve("pod-samples.csv"));
        sharing.write(dir.resolve("sharing.csv"));
        lifetimes.write(dir.resolve("lifetimes.csv"));
        resets.write(dir.resolve("resets.csv"));
        decisions.write(dir.resolve("decisions.csv"));
        whatIf.write(dir.resolve("counterfactual.csv"));
    }

    private static void policyRow(Table t, String service, JsonNode o) {
        t.row(service, o.path("policy").asText(), o.path("requests").asText(), o.path("promptBlocks").asText(),
                o.path("hitBlocks").asText(), text(o.path("hitRate")), text(o.path("meanTtftMs")),
                text(o.path("p99TtftMs")));
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "" : n.asText();
    }

    /** Rows in memory, then one file. */
    private static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void write(Path file) throws IOException {
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (String[] r : rows) {
                    for (int i = 0; i < r.length; i++) {
                        w.write(i == 0 ? "" : ",");
                        w.write(quote(r[i]));
                    }
                    w.write('\n');
                }
            }
        }

        private static String quote(String cell) {
            if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
                return cell;
            }
            return '"' + cell.replace("\"", "\"\"") + '"';
        }
    }
}
