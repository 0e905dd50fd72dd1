package io.kvrelay.launcher.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvrelay.launcher.bench.trace.TraceFacts;
import io.kvrelay.launcher.bench.trace.TraceInput;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.router.scoring.CostModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes one benchmark's outputs into a directory: {@code routing-benchmark.json} (every parameter and result),
 * {@code routing-benchmark.md} (the tables) and {@code routing-benchmark.svg} (the chart).
 */
public final class BenchReport {
    public static final String BASENAME = "routing-benchmark";

    private BenchReport() {
    }

    /**
     * Facts about the stream replayed, so the workload is described by what it was, not only by its knobs.
     * Conversations are the distinct users (a trace's sessions; none when it has no sessions).
     */
    public record StreamFacts(int requests, long conversations, double meanTurnsPerConversation,
                              double meanPromptBlocks, int maxPromptBlocks, double durationSeconds) {
        static StreamFacts of(List<BenchRequest> stream) {
            long convs = stream.stream().map(BenchRequest::userId).filter(Objects::nonNull).distinct().count();
            double meanBlocks = stream.stream().mapToInt(BenchRequest::promptBlocks).average().orElse(0);
            int maxBlocks = stream.stream().mapToInt(BenchRequest::promptBlocks).max().orElse(0);
            double last = stream.isEmpty() ? 0 : stream.get(stream.size() - 1).arrivalMs() / 1000;
            return new StreamFacts(stream.size(), convs, convs == 0 ? 0 : (double) stream.size() / convs, meanBlocks,
                    maxBlocks, last);
        }
    }

    /**
     * @param trace   the trace replayed, or null for the generated workload
     * @param cost    the cost model of the routers and of kvrelay-exact
     * @param routers router replicas of the kvrelay run
     */
    public static void write(Path dir, WorkloadSpec spec, TraceInput trace, ServiceModel model, CostModel cost,
                             int routers, double sampleMs, StreamFacts facts, List<PolicyResult> results,
                             List<Targets.Target> targets) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("benchmark", "kvrelay routing policies on one request stream");
        root.put("finishedAt", Instant.now().toString());
        root.put("machine", Map.of("availableProcessors", Runtime.getRuntime().availableProcessors(),
                "javaVersion", System.getProperty("java.version")));
        Map<String, Object> params = new LinkedHashMap<>();
        // With a trace the generator's knobs do not apply; the fleet's (services, pods, capacity) still do.
        params.put("workload", spec);
        params.put("blockSize", WorkloadSpec.BLOCK_SIZE);
        if (trace == null) {
            params.put("systemPromptProbability", WorkloadSpec.SYSTEM_PROMPT_PROBABILITY);
            params.put("requests", spec.requestCount());
        } else {
            params.put("trace", trace.describe());
        }
        params.put("serviceModel", model);
        params.put("routerCostModel", cost);
        params.put("routers", routers);
        params.put("imbalanceSampleMs", sampleMs);
        params.put("freshnessPollIntervalMs", FreshnessProbe.POLL_INTERVAL_MS);
        root.put("parameters", params);
        root.put("stream", facts);
        root.put("results", results);
        root.put("targets", targets);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve(BASENAME + ".json").toFile(), root);
        Files.writeString(dir.resolve(BASENAME + ".md"), markdown(spec, trace, facts, results, targets),
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(BASENAME + ".svg"), SvgChart.render(results, String.format(
                java.util.Locale.ROOT, "%d requests, %d services x %d pods, %d blocks/pod, %.1f req/s", facts.requests(),
                spec.services().size(), spec.podsPerService(), spec.capacityBlocks(), trace == null ? spec.rate() : requestsPerSecond(facts)),
                trace == null ? Targets.CHAT_IMBALANCE : Double.NaN),
                StandardCharsets.UTF_8);
    }

    static String markdown(WorkloadSpec spec, TraceInput trace, StreamFacts facts, List<PolicyResult> results,
                           List<Targets.Target> targets) {
        return "# Routing benchmark results\n\n"
                + (trace == null ? "" : "Trace: " + traceLine(trace.facts(), trace.timeScale()) + "\n\n")
                + String.format(java.util.Locale.ROOT, "%d requests over %.0f s, %d conversations (%.2f turns each on "
                                + "average, mean prompt %.0f blocks), %d services x %d pods, %d blocks per pod, seed %d."
                                + "%n%n", facts.requests(), facts.durationSeconds(), facts.conversations(),
                        facts.meanTurnsPerConversation(), facts.meanPromptBlocks(), spec.services().size(),
                        spec.podsPerService(), spec.capacityBlocks(), spec.seed())
                + MarkdownTable.results(results) + "\n" + (targets.isEmpty() ? "" : MarkdownTable.targets(targets));
    }

    /** The trace file's own figures, and how its clock was scaled. */
    static String traceLine(TraceFacts facts, double timeScale) {
        return facts.summary() + String.format(java.util.Locale.ROOT, "; time scale %s.", timeScale);
    }

    /** A trace's mean arrival rate (a generated stream has its configured one). */
    private static double requestsPerSecond(StreamFacts facts) {
        return facts.durationSeconds() > 0 ? facts.requests() / facts.durationSeconds() : 0;
    }
}
