package io.kvrelay.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the README's run command does, for a few seconds: every part starts on this machine (broker and Redis as child
 * processes), the chat workload is routed through the router and served by the simulated pods, pod load reaches the
 * router, and closing the pipeline stops everything it started (the broker's and Redis's ports are free again).
 */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void shouldRouteTheWorkloadEndToEndAndLeaveNothingRunning() throws Exception {
        DemoStats stats = new DemoStats();
        String bootstrap;
        int redisPort;
        DemoPipeline.Settings settings = new DemoPipeline.Settings(dir, "demo", List.of("svc-a", "svc-b"), 2, 500, 0,
                "token", "it-demo");
        try (DemoPipeline pipeline = new DemoPipeline(settings, step -> { })) {
            bootstrap = pipeline.kafka().bootstrapServers();
            redisPort = pipeline.redis().port();
            try (DemoWorkload workload = new DemoWorkload("demo", settings.services(), pipeline.fleet(),
                    pipeline.router().port(), 7, stats)) {
                assertThat(workload.awaitRoutable(2, Duration.ofSeconds(60))).as("every pod routable").isTrue();
                workload.start(20);
                Thread.sleep(8_000);
            }
            DemoStats.Window total = stats.total();
            assertThat(total.requests()).as("requests served").isGreaterThan(100);
            assertThat(total.failures()).as("failures (last: %s)", stats.lastFailure()).isZero();
            assertThat(total.hitRate()).as("multi-turn chat reuses cached prefixes").isGreaterThan(0.3);
            assertThat(stats.perPod()).as("every pod served something").hasSize(4);
            assertThat(pipeline.bridge().metrics().count("kvrelay.bridge.events")).isPositive();
            assertThat(pipeline.bridge().metrics().count("kvrelay.bridge.produce.errors")).isZero();
        }
        int kafkaPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        assertThat(listening(kafkaPort)).as("broker stopped").isFalse();
        assertThat(listening(redisPort)).as("Redis stopped").isFalse();
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
