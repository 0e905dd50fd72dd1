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
 * The whole {@code bench-routing} command with tiny parameters: the real pipeline for kvrelay, the other policies
 * in-process, and the three outputs written and sane; on the chat workload, and on a generated trace through two
 * router replicas.
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
        assertThat(byPolicy).containsOnlyKeys("kvrelay", "kvrelay-exact", "sticky-only", "round-robin",
                "least-loaded", "random", "oracle-hit", "oracle-ttft");
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
        assertThat(svg.split("<rect").length - 1).as("background + 8 + 8 + 16 bars").isEqualTo(33);
    }

    /** The kvrelay run through the routers' OpenAI front door: requests served by the pods' own engines. */
    @Test
    void shouldRunKvrelayThroughTheFrontDoor() throws Exception {
        int code = new CommandLine(new BenchCommand()).execute("--duration", "5", "--rate", "10",
                "--pods-per-service", "2", "--users", "8", "--capacity-blocks", "256", "--front-door",
                "--out", out.toString());
        assertThat(code).isZero();
        JsonNode root = new ObjectMapper().readTree(out.resolve("routing-benchmark.json").toFile());
        JsonNode kvrelay = null;
        for (JsonNode r : root.path("results")) {
            if (r.path("policy").asText().equals("kvrelay")) {
                kvrelay = r;
            }
        }
        assertThat(kvrelay).isNotNull();
        assertThat(kvrelay.path("requests").asInt()).as("every request served through the front door").isEqualTo(50);
        assertThat(kvrelay.path("kvrelay").path("failures").asLong()).isZero();
        assertThat(kvrelay.path("hitRate").asDouble()).as("the pods' cached tokens").isBetween(0.0, 1.0);
        assertThat(kvrelay.path("ttftP50Ms").asDouble()).as("measured at the client").isPositive();
    }

    /** The README's trace command, small: trace-gen, then bench-routing --trace through two routers and a sweep. */
    @Test
    void shouldReplayATraceThroughTwoRouters() throws Exception {
        Path trace = out.resolve("trace.jsonl");
        assertThat(new CommandLine(new io.kvrelay.launcher.KvrelayMain()).execute("trace-gen", "--requests", "40",
                "--prompt-tokens-mean", "3000", "--shared-prefix-tokens", "1024", "--out", trace.toString())).isZero();
        int code = new CommandLine(new BenchCommand()).execute("--trace", trace.toString(), "--time-scale", "0.5",
                "--services", "llama-8b", "--pods-per-service", "2", "--capacity-blocks", "4000", "--routers", "2",
                "--sweep", "stickySlackMs=0,5000", "--out", out.resolve("bench").toString());
        assertThat(code).isZero();

        JsonNode root = new ObjectMapper().readTree(out.resolve("bench/routing-benchmark.json").toFile());
        Map<String, JsonNode> byPolicy = new HashMap<>();
        root.path("results").forEach(r -> byPolicy.put(r.path("policy").asText(), r));
        assertThat(byPolicy).containsKeys("kvrelay", "kvrelay-exact", "oracle-ttft",
                "kvrelay-exact[stickySlackMs=0]", "kvrelay-exact[stickySlackMs=5000]");
        JsonNode kvrelay = byPolicy.get("kvrelay");
        assertThat(kvrelay.path("requests").asInt()).as("every request routed").isEqualTo(40);
        assertThat(kvrelay.path("kvrelay").path("failures").asLong()).isZero();
        assertThat(kvrelay.path("kvrelay").path("decisionsWithoutIndex").asDouble()).isBetween(0.0, 1.0);
        assertThat(root.path("targets")).extracting(t -> t.path("name").asText()).containsExactly(
                "mean TTFT vs oracle-ttft", "mean TTFT vs round-robin", "hit rate vs oracle-hit",
                "decisions without index");
    }
}
