package io.kvrelay.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole {@code bench-routing} command with tiny parameters: the real pipeline for kvrelay, the four baselines
 * in-process, and the three outputs written and sane.
 */
class BenchRoutingIT {
    @TempDir
    Path out;

    @Test
    void shouldCompareEveryPolicyAndWriteJsonMarkdownAndSvg() throws Exception {
        int code = new CommandLine(new BenchCommand()).execute("--duration", "5", "--rate", "20",
                "--pods-per-service", "2", "--users", "8", "--capacity-blocks", "256", "--out", out.toString());
        assertThat(code).isZero();

        JsonNode root = new ObjectMapper().readTree(out.resolve("routing-benchmark.json").toFile());
        assertThat(root.path("parameters").path("workload").path("rate").asDouble()).isEqualTo(20);
        Map<String, JsonNode> byPolicy = new HashMap<>();
        root.path("results").forEach(r -> byPolicy.put(r.path("policy").asText(), r));
        assertThat(byPolicy).containsOnlyKeys("kvrelay", "sticky-only", "round-robin", "least-loaded", "random",
                "oracle-hit", "oracle-ttft");
        for (JsonNode r : byPolicy.values()) {
            assertThat(r.path("hitRate").asDouble()).as(r.path("policy").asText()).isBetween(0.0, 1.0);
            assertThat(r.path("requests").asInt()).isPositive();
            assertThat(r.path("ttftP99Ms").asDouble()).isGreaterThanOrEqualTo(r.path("ttftP50Ms").asDouble());
        }
        assertThat(byPolicy.get("kvrelay").path("requests").asInt()).as("every request routed").isEqualTo(100);
        assertThat(byPolicy.get("oracle-hit").path("hitRate").asDouble())
                .isGreaterThanOrEqualTo(byPolicy.get("round-robin").path("hitRate").asDouble());
        JsonNode extras = byPolicy.get("kvrelay").path("kvrelay");
        assertThat(extras.path("failures").asLong()).isZero();
        assertThat(extras.path("routerP50Ms").asDouble()).isPositive();
        assertThat(root.path("targets")).hasSize(5);

        String md = Files.readString(out.resolve("routing-benchmark.md"));
        assertThat(md).contains("| kvrelay |", "| oracle-hit |", "| oracle-ttft |", "| round-robin |", "| target |");
        String svg = Files.readString(out.resolve("routing-benchmark.svg"));
        assertThat(svg).startsWith("<svg").contains("</svg>", "KV-cache hit rate", "sticky-only");
        assertThat(svg.split("<rect").length - 1).as("background + 7 + 7 + 14 bars").isEqualTo(29);
    }
}
