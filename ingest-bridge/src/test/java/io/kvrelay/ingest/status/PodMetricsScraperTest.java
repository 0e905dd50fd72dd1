package io.kvrelay.ingest.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.PodMetricsConfig;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scraper against a local HTTP server it cannot tell from a pod, on a clock the test moves. */
class PodMetricsScraperTest {
    private static final String PAGE = """
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{model_name="m"} 3
            vllm:num_requests_waiting{model_name="m"} 1
            vllm:kv_cache_usage_perc{model_name="m"} 0.5
            """;
    /** Generous: a normal scrape must never time out, even on a machine at load average 50 (it did at 300 ms). */
    private static final int TIMEOUT_MS = 10_000;
    /** The trickle test's own timeout: short, and the body it cuts off would take 10 s. */
    private static final int TRICKLE_TIMEOUT_MS = 300;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** What the server does per request: set by each test. */
    @FunctionalInterface
    private interface Behaviour {
        void answer(HttpExchange ex) throws Exception;
    }

    private final AtomicReference<Behaviour> behaviour = new AtomicReference<>(ex -> send(ex, 200, PAGE));
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final BridgeMetrics metrics = new BridgeMetrics();
    private final ExecutorService serverPool = Executors.newCachedThreadPool();
    private HttpServer server;
    private PodMetricsScraper scraper;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(serverPool);
        server.createContext("/metrics", ex -> {
            try (ex) {
                behaviour.get().answer(ex);
            } catch (Exception e) {
                // the client went away (a cut-off trickle): nothing to answer
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (scraper != null) {
            scraper.close();
        }
        server.stop(0);
        serverPool.shutdownNow();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private PodConfig pod(String name, Integer servingPort) {
        return new PodConfig("ns", "svc", name, null, "127.0.0.1", 5557, null, 1, null, null, servingPort, null);
    }

    private PodMetricsScraper scraper(List<PodConfig> pods) {
        return scraper(pods, TIMEOUT_MS);
    }

    private PodMetricsScraper scraper(List<PodConfig> pods, int timeoutMs) {
        // Values go stale 3 s after their scrape, on the test's clock.
        scraper = new PodMetricsScraper(new PodMetricsConfig(timeoutMs, 3_000), () -> pods, metrics, clock::get);
        return scraper;
    }

    private double failures(String reason) {
        return metrics.count("kvrelay.bridge.pod.metrics.failures", "reason", reason);
    }

    private void scrapeAndAwait(String counter, String... tags) {
        double before = metrics.count(counter, tags);
        scraper.scrapeAll();
        await().atMost(WAIT).until(() -> metrics.count(counter, tags) > before);
    }

    @Test
    void shouldKeepTheLastGoodLoadThroughFailuresUntilItIsStale() {
        PodConfig pod = pod("p", server.getAddress().getPort());
        scraper(List.of(pod));
        String id = pod.key().id();
        assertThat(scraper.load(id)).isEqualTo(PodLoad.UNKNOWN);

        scrapeAndAwait("kvrelay.bridge.pod.metrics.scrapes");
        assertThat(scraper.load(id)).isEqualTo(new PodLoad(3, 1, 0.5));

        behaviour.set(ex -> send(ex, 503, "overloaded"));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        scrapeAndAwait("kvrelay.bridge.pod.metrics.failures", "reason", "http_status");
        assertThat(scraper.load(id)).as("2 s old: still current").isEqualTo(new PodLoad(3, 1, 0.5));

        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(1_001));
        assertThat(scraper.load(id)).as("3.001 s old: stale").isEqualTo(PodLoad.UNKNOWN);

        behaviour.set(ex -> send(ex, 200, "vllm:num_requests_running 4\n"));
        scrapeAndAwait("kvrelay.bridge.pod.metrics.scrapes");
        assertThat(scraper.load(id)).isEqualTo(new PodLoad(4, null, null));
        assertThat(metrics.count("kvrelay.bridge.pod.metrics.missing", "field", "waiting")).isEqualTo(1);
        assertThat(metrics.count("kvrelay.bridge.pod.metrics.missing", "field", "kv_usage")).isEqualTo(1);
    }

    @Test
    void shouldSayForHowLongTheLoadHasBeenUnknown() {
        PodConfig pod = pod("p", server.getAddress().getPort());
        scraper(List.of(pod, pod("none", null)));
        String id = pod.key().id();
        assertThat(scraper.unknownForNanos(id)).as("not scraped yet").isEqualTo(-1);

        behaviour.set(ex -> send(ex, 503, "hung"));
        scrapeAndAwait("kvrelay.bridge.pod.metrics.failures", "reason", "http_status");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(4));
        assertThat(scraper.unknownForNanos(id)).as("never answered: since scraping began")
                .isEqualTo(TimeUnit.SECONDS.toNanos(4));
        assertThat(scraper.unknownForNanos("ns/svc/none")).as("no serving port: not scraped").isEqualTo(-1);

        behaviour.set(ex -> send(ex, 200, PAGE));
        scrapeAndAwait("kvrelay.bridge.pod.metrics.scrapes");
        assertThat(scraper.unknownForNanos(id)).isZero();

        behaviour.set(ex -> send(ex, 503, "hung"));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        scrapeAndAwait("kvrelay.bridge.pod.metrics.failures", "reason", "http_status");
        assertThat(scraper.unknownForNanos(id)).as("last good values still current").isZero();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertThat(scraper.unknownForNanos(id)).as("stale 3 s after the good scrape, 7 s ago")
                .isEqualTo(TimeUnit.SECONDS.toNanos(4));
    }

    @Test
    void shouldCutOffAPodThatTricklesItsBodyAtTheTimeout() {
        behaviour.set(ex -> {
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 100; i++) {
                out.write("# still here\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(100);
            }
        });
        scraper(List.of(pod("p", server.getAddress().getPort())), TRICKLE_TIMEOUT_MS);

        long start = System.nanoTime();
        scrapeAndAwait("kvrelay.bridge.pod.metrics.failures", "reason", "timeout");
        // Cut off, not read to its end (10 s of trickle): the bound is the outcome, not a latency budget.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
        assertThat(scraper.load("ns/svc/p")).isEqualTo(PodLoad.UNKNOWN);
    }

    @Test
    void shouldCountUnreachablePodsAndOversizedPagesAndSkipPodsWithoutAServingPort() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        behaviour.set(ex -> send(ex, 200, "x".repeat(PodMetricsScraper.MAX_BODY_BYTES + 1)));
        scraper(List.of(pod("down", closed), pod("huge", server.getAddress().getPort()), pod("none", null)));

        scraper.scrapeAll();
        await().atMost(WAIT).until(() -> failures("unreachable") == 1 && failures("too_large") == 1);
        assertThat(scraper.load("ns/svc/none")).isEqualTo(PodLoad.UNKNOWN);
        assertThat(metrics.count("kvrelay.bridge.pod.metrics.scrapes")).isZero();
        assertThat(metrics.scrape()).contains("kvrelay_bridge_pod_metrics_failures_total{reason=\"unreachable\"} 1.0")
                .contains("kvrelay_bridge_pod_metrics_scrapes_total 0.0");
    }

    @Test
    void shouldCountMalformedLinesAndStillUseTheGoodOnes() {
        behaviour.set(ex -> send(ex, 200, PAGE + "this is { not prometheus\n"));
        scraper(List.of(pod("p", server.getAddress().getPort())));

        scrapeAndAwait("kvrelay.bridge.pod.metrics.scrapes");
        assertThat(scraper.load("ns/svc/p")).isEqualTo(new PodLoad(3, 1, 0.5));
        assertThat(metrics.count("kvrelay.bridge.pod.metrics.malformed.lines")).isEqualTo(1);
    }
}
