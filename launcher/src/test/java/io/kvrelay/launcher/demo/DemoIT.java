package io.kvrelay.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.launcher.replay.ReplayCommand;
import io.kvrelay.policies.whatif.WhatIfSettings;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.Topics;
import io.kvrelay.testkit.RequiredTools;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the README's run command does, for a few seconds: every part starts on this machine (broker and Redis as child
 * processes), the chat workload is routed through the router and served by the simulated pods, pod load reaches the
 * router, the README's curl calls answer against it, and closing the pipeline stops everything it started (the
 * broker's and Redis's ports are free again).
 */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void shouldRouteTheWorkloadEndToEndAndLeaveNothingRunning() throws Exception {
        DemoStats stats = new DemoStats();
        String bootstrap;
        int redisPort;
        // The demo's own services, so the README's calls (written for a user's demo) name pods that exist here.
        DemoPipeline.Settings settings = new DemoPipeline.Settings(dir, "demo", List.of("llama-8b", "qwen-7b"), 2, 500,
                DemoPipeline.Ports.any(), "token", "it-demo");
        try (DemoPipeline pipeline = new DemoPipeline(settings, step -> { })) {
            bootstrap = pipeline.kafka().bootstrapServers();
            redisPort = pipeline.redis().port();
            try (DemoWorkload workload = new DemoWorkload("demo", settings.services(),
                    pipeline.router().port(), 7, stats)) {
                assertThat(workload.awaitRoutable(2, Duration.ofSeconds(180))).as("every pod routable").isTrue();
                workload.start(20);
                Thread.sleep(8_000);
            }
            // Closing the workload ends the requests still running, so pods kept up (--keep-running) are idle.
            pipeline.fleet().pods().forEach(p -> p.workerMetrics().forEach(m -> assertThat(m.running())
                    .as("%s still running after the workload closed", p.id()).isZero()));
            DemoStats.Window total = stats.total();
            assertThat(total.requests()).as("requests served").isGreaterThan(100);
            assertThat(total.failures()).as("failures (last: %s)", stats.lastFailure()).isZero();
            assertThat(total.hitRate()).as("multi-turn chat reuses cached prefixes").isGreaterThan(0.3);
            assertThat(stats.perPod()).as("every pod served something").hasSize(4);
            assertThat(pipeline.bridge().metrics().count("kvrelay.bridge.events")).isPositive();
            assertThat(pipeline.bridge().metrics().count("kvrelay.bridge.produce.errors")).isZero();
            replayTheDemosLog(pipeline, total);
            theReadmesCallsAnswer(pipeline, "token");
        }
        int kafkaPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        assertThat(listening(kafkaPort)).as("broker stopped").isFalse();
        assertThat(listening(redisPort)).as("Redis stopped").isFalse();
    }

    /**
     * {@code demo --replay-out}: the replay reads the real log of this run (events from the bridge, decisions from the
     * router). Every request's decision is there, and the hit rate the replay finds for the decisions taken (the
     * chosen pod's blocks in the rebuilt state at the decision's instant) is close to the simulator's own truth.
     */
    private void replayTheDemosLog(DemoPipeline pipeline, DemoStats.Window total) throws Exception {
        Topics topics = Topics.withPrefix("it-demo", (short) 1);
        Thread.sleep(500); // the router publishes decisions off the request path (20 ms linger)
        ReplayCommand.Result r = ReplayCommand.run(new ReplayCommand.ReplayJob(KafkaClients.of(pipeline.kafka().bootstrapServers()),
                topics.kvEvents().name(), topics.routeDecisions().name(), null, null, Duration.ofSeconds(1),
                dir.resolve("replay"), WhatIfSettings.defaults()), new PrintStream(OutputStream.nullOutputStream()));
        assertThat(r.undecodable()).as("undecodable: %s", r.report().path("run").path("undecodableExamples"))
                .isZero();
        assertThat(r.decisions()).as("a decision per request").isGreaterThanOrEqualTo(total.requests());
        long routed = 0;
        long prompt = 0;
        long hit = 0;
        for (JsonNode s : r.report().path("services")) {
            routed += s.path("decisions").path("routed").asLong();
            prompt += s.path("decisions").path("promptBlocks").asLong();
            hit += s.path("decisions").path("hitBlocks").asLong();
        }
        double replayed = (double) hit / prompt;
        System.out.printf("demo hit rate: simulator %.3f, replayed decisions %.3f (%d routed)%n", total.hitRate(),
                replayed, routed);
        assertThat(replayed).as("replayed hit rate of the decisions vs the simulator's")
                .isCloseTo(total.hitRate(), within(0.05));
        assertThat(dir.resolve("replay").resolve("report.html")).exists();
    }

    /**
     * The README's curl lines for the bridge's admin API, stream-app and the router, as a user runs them against a
     * demo: each answers 2xx (the demo's namespace has these services and pods; the bridge has its admin HTTP).
     */
    private static void theReadmesCallsAnswer(DemoPipeline pipeline, String token) throws Exception {
        RequiredTools.require("curl", "apt-get install curl");
        Map<Integer, Integer> ports = Map.of(8080, pipeline.router().port(), 8090, pipeline.stream().httpPort(),
                8081, pipeline.bridgeAdmin().port());
        List<String> calls = new ArrayList<>();
        calls.addAll(ReadmeCalls.after("### HTTP (admin port, default 8081)"));
        calls.addAll(ReadmeCalls.after("Its calls, here against a running demo (`demo --keep-running`: stream-app"));
        calls.addAll(ReadmeCalls.after("Its calls, here against a running demo (`demo --keep-running`: router"));
        List<String> frontDoor = ReadmeCalls.after("The front door's calls, against a running demo");
        calls.addAll(frontDoor);
        assertThat(calls).as("README calls found").hasSizeGreaterThan(18);
        for (String call : calls) {
            ReadmeCalls.Answer a = ReadmeCalls.run(call, ports, token);
            assertThat(a.status()).as("%s%n  answered: %s", call, a.body()).isBetween(200, 299);
        }
        ReadmeCalls.Answer pods = ReadmeCalls.run("curl -s localhost:8081/pods", ports, token);
        assertThat(pods.body()).as("the bridge's pods").contains("llama-8b-0", "qwen-7b-1");
        ReadmeCalls.Answer route = ReadmeCalls.run(calls.stream().filter(c -> c.contains("/v1/route -d"))
                .findFirst().orElseThrow(), ports, token);
        assertThat(route.body()).as("a llama-8b pod chosen").contains("\"name\":\"llama-8b-");
        assertThat(frontDoor).as("the front door's calls").hasSize(4);
        assertThat(ReadmeCalls.run(frontDoor.get(0), ports, token).body()).as("a chat completion")
                .contains("\"object\":\"chat.completion\"", "\"cached_tokens\"");
        assertThat(ReadmeCalls.run(frontDoor.get(1), ports, token).body()).as("a streamed chat")
                .contains("chat.completion.chunk", "data: [DONE]");
        assertThat(ReadmeCalls.run(frontDoor.get(3), ports, token).body()).as("the models")
                .contains("\"object\":\"list\"");
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
