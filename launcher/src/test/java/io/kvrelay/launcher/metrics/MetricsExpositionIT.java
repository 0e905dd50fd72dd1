package io.kvrelay.launcher.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.admin.AdminServer;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RedisServer;
import io.kvrelay.testkit.RequiredTools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every part's {@code /metrics}, scraped over HTTP from a running pipeline (a simulated pod, the bridge, stream-app,
 * the router with a routed request), passes {@code promtool check metrics} (Prometheus' own linter: HELP text, names,
 * units, counters' {@code _total}) and carries the JVM and process families operators' dashboards read; every metric
 * the alert rules query is exposed from the parts' start (before anything happened: absence is not zero), every one
 * the Grafana dashboard (deploy/) queries once they run.
 */
class MetricsExpositionIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void everyPartsExpositionPassesPromtool() throws Exception {
        RequiredTools.require("promtool", "apt-get install prometheus");
        KafkaBroker broker = KafkaBroker.shared();
        String prefix = "it-metrics-" + System.nanoTime();
        try (SimPod pod = SimPod.start(SimPodConfig.builder("m-0").namespace("ns").service("svc")
                .preset(FidelityPreset.VLLM).seed(3).servingPort(0).build());
             RedisServer redis = RedisServer.start()) {
            BridgeConfig bridgeConfig = new BridgeConfig("metrics", new KafkaSinkConfig(broker.bootstrapServers(),
                    prefix, true, (short) 1, "lz4", 1, Map.of()), ZmqConfig.defaults(),
                    new AdminConfig("127.0.0.1", 0), 1_024, 5_000, List.of(new PodConfig("ns", "svc", "m-0", null,
                    "127.0.0.1", pod.pubBasePort(), pod.replayBasePort(), 1, null, "")));
            try (IngestBridge bridge = new IngestBridge(bridgeConfig).start();
                 AdminServer admin = new AdminServer(bridge, bridgeConfig.admin()).start();
                 StreamApp stream = new StreamApp(StreamAppConfig.local(broker.bootstrapServers(), dir.resolve("s"))
                         .withApplicationId(prefix).withTopicPrefix(prefix)).start()) {
                assertThat(pod.awaitSubscribers(0, 1, Duration.ofSeconds(120))).isTrue();
                HttpClient http = HttpClient.newHttpClient();
                // Before anything happened: the families alerts watch must already be there, at zero.
                StringBuilder atStart = new StringBuilder(scrape(http, admin.port())).append(scrape(http,
                        stream.httpPort()));
                WorkloadGenerator.Request served = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 3)
                        .next();
                pod.serve(0, served.tokens(), served.lora());
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                        .until(() -> stream.healthy() && stream.indexEntries() > 0);
                RouterConfig rc = new RouterConfig("metrics-router", null, 0, 0,
                        List.of("http://127.0.0.1:" + stream.httpPort()), 0, 0, 0,
                        LinkConfig.of(redis.host(), redis.port(), Set.of("ns")).withKeyPrefix(prefix + ":"),
                        CostModel.defaults(), broker.bootstrapServers(), prefix, 0, null, null);
                try (RouterApp router = new RouterApp(rc).start()) {
                    atStart.append(scrape(http, router.port()));
                    String body = "{\"namespace\":\"ns\",\"service\":\"svc\",\"userId\":\"u\",\"tokens\":["
                            + IntStream.of(served.tokens()).mapToObj(String::valueOf).collect(Collectors.joining(","))
                            + "]}";
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> http
                            .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + "/v1/route"))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
                    Map<String, Integer> parts = new LinkedHashMap<>();
                    parts.put("ingest-bridge", admin.port());
                    parts.put("stream-app", stream.httpPort());
                    parts.put("router", router.port());
                    // Micrometer makes jvm_gc_pause_seconds at a registry's first GC after it was bound (notified
                    // asynchronously): on a quiet machine the router, bound last, may not have seen one yet.
                    System.gc();
                    for (int port : parts.values()) {
                        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                                .until(() -> scrape(http, port).contains("jvm_gc_pause_seconds"));
                    }
                    List<String> problems = new ArrayList<>();
                    StringBuilder all = new StringBuilder();
                    for (Map.Entry<String, Integer> part : parts.entrySet()) {
                        String exposition = scrape(http, part.getValue());
                        assertThat(exposition).as(part.getKey())
                                .contains("jvm_memory_used_bytes", "jvm_gc_pause_seconds", "process_cpu_usage",
                                        "process_uptime_seconds", "jvm_threads_live_threads",
                                        // the scrape before this one, by its route's pattern
                                        "http_server_requests_seconds_count{method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/metrics\"");
                        all.append(exposition);
                        String lint = promtool(exposition);
                        if (!lint.isBlank()) {
                            problems.add(part.getKey() + ":\n" + lint);
                        }
                    }
                    assertThat(problems).as("promtool check metrics").isEmpty();
                    // The simulator exports vLLM's own names, colons included (vllm:num_requests_running): that
                    // colon is promtool's only objection, everything else about the exposition is clean.
                    String simLint = promtool(scrape(http, pod.servingPort()));
                    assertThat(simLint.lines().toList()).as("promtool on vllm-sim's /metrics").isNotEmpty()
                            .allMatch(l -> l.matches("vllm:\\S+ metric names should not contain ':'"));
                    assertThat(all.toString()).contains("uri=\"/v1/route\"")
                            // stream-app's query API, metered: the router's question came in on the index port
                            .containsPattern("kvrelay_stream_query_prefix_match_seconds_count\\{outcome=\"found\",?\\} [1-9]")
                            .contains("kvrelay_stream_index_entries{partition=\"0\"}",
                                    "kvrelay_stream_query_fanout_failures_total{reason=\"instance_unavailable\"}",
                                    "kvrelay_router_decisions_without_index_total");
                    // The alerts and the dashboard query what the parts expose, by the exposed names.
                    Map<String, Set<String>> exposedFor = Map.of(
                            "deploy/prometheus/kvrelay-alerts.yml", names(atStart.toString()),
                            "deploy/grafana/kvrelay-dashboard.json", names(all.toString()));
                    for (String file : exposedFor.keySet()) {
                        Set<String> exposed = exposedFor.get(file);
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((kvrelay|jvm|process)_[a-z_]+)")
                                .matcher(java.nio.file.Files.readString(ROOT.resolve(file)));
                        while (m.find()) {
                            assertThat(exposed).as(file + " queries " + m.group(1)).contains(m.group(1));
                        }
                    }
                }
            }
        }
    }

    private static String scrape(HttpClient http, int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sample names of an exposition. */
    private static Set<String> names(String exposition) {
        return exposition.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).map(l -> l.split("[{ ]")[0])
                .collect(Collectors.toSet());
    }

    /** What promtool says of the exposition (nothing when it is clean); fails on anything but a lint verdict. */
    private static String promtool(String exposition) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isIn(0, 3); // 3: lint problems, listed in out
        return out;
    }
}
