package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.cache.BlockSetMirror;
import io.kvrelay.sim.metrics.KvUsageMetric;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.PublishedBatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import picocli.CommandLine;

/** Pods and fleets end to end on loopback: ports, publish log vs ground truth, restarts, overflow, metrics. */
class SimPodIT {
    private static final Logger LOG = LoggerFactory.getLogger(SimPodIT.class);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ZContext client = new ZContext(1);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    @AfterEach
    void tearDown() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(2_000);
        }
        client.close();
    }

    @Test
    void freePortsAreARunOfBasePlusRankAndEachRankPublishesItsOwnRank() throws Exception {
        SimPodConfig cfg = SimPodConfig.builder("pod-a").dpRanks(3).layout(PayloadLayout.ARRAY_FULL).build();
        try (SimPod pod = SimPod.start(cfg)) {
            for (int r = 0; r < 3; r++) {
                assertThat(pod.pubPort(r)).isEqualTo(pod.pubBasePort() + r);
                assertThat(pod.replayPort(r)).isEqualTo(pod.replayBasePort() + r);
                assertThat(pod.pubEndpoint(r)).isEqualTo("tcp://127.0.0.1:" + (pod.pubBasePort() + r));
            }
            BlockingQueue<List<byte[]>> rank2 = subscribe(pod.pubEndpoint(2));
            assertThat(pod.awaitSubscribers(2, 1, WAIT)).isTrue();

            PublishedBatch batch = pod.serve(2, tokens(0, 64), null).orElseThrow();

            List<byte[]> frames = rank2.poll(5, TimeUnit.SECONDS);
            assertThat(frames).isNotNull();
            assertThat(new String(frames.get(0))).isEqualTo("kv@pod-a@sim-model");
            assertThat(ByteBuffer.wrap(frames.get(1)).getLong()).isZero();
            assertThat(frames.get(2)).isEqualTo(batch.payload());
            try (var u = MessagePack.newDefaultUnpacker(frames.get(2))) {
                assertThat(u.unpackValue().asArrayValue().get(2).asIntegerValue().asInt()).isEqualTo(2);
            }
            assertThat(batch.rank()).isEqualTo(2);
        }
    }

    @Test
    void publishLogReplaysToTheGroundTruthAcrossClearsAndRestarts() {
        SimPodConfig cfg = SimPodConfig.builder("pod-b").capacityBlocks(256).replayBasePort(null).build();
        try (SimPod pod = SimPod.start(cfg)) {
            WorkloadGenerator workload = new WorkloadGenerator(
                    WorkloadGenerator.Settings.defaults().withLoras(List.of("sql"), 0.2), 3);
            for (int i = 0; i < 300; i++) {
                WorkloadGenerator.Request req = workload.next();
                pod.serve(0, req.tokens(), req.lora());
                if (i == 100) {
                    pod.clear(0);
                }
                if (i == 200) {
                    pod.restart();
                }
            }
            assertThat(pod.replayPort(0)).isEqualTo(-1);
            List<PublishedBatch> log = pod.publishLog(0).snapshot();
            assertThat(pod.publishLog(0).evicted()).isZero();
            assertThat(log.stream().filter(b -> b.epoch() == 1).findFirst().orElseThrow().seq())
                    .as("seq restarts at 0 after the restart").isZero();
            assertThat(log.stream().flatMap(b -> b.events().stream()).filter(e -> e instanceof SimEvent.Cleared))
                    .as("only clear() publishes AllBlocksCleared; restart publishes nothing").hasSize(1);

            // A consumer that resets its view on a restart (epoch change) ends with exactly the engine's cache.
            BlockSetMirror mirror = new BlockSetMirror();
            int epoch = 0;
            for (PublishedBatch b : log) {
                if (b.epoch() != epoch) {
                    mirror.reset();
                    epoch = b.epoch();
                }
                mirror.apply(b.events());
            }
            assertThat(mirror.blocks()).isEqualTo(pod.cacheContents(0));
            assertThat(pod.workerMetrics().get(0).prefixHitTokens()).isPositive();
        }
    }

    @Test
    void serveCountedReportsTheCacheModelsOwnCounts() {
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-e").capacityBlocks(3).replayBasePort(null).build())) {
            ServedPrompt first = pod.serveCounted(0, tokens(0, 40), null); // 2 full blocks and 8 tokens
            assertThat(first).extracting(ServedPrompt::cacheableBlocks, ServedPrompt::hitBlocks,
                    ServedPrompt::storedBlocks).containsExactly(2, 0, 2);
            assertThat(first.batch()).isPresent();
            ServedPrompt longer = pod.serveCounted(0, tokens(0, 80), null); // 5 blocks, the cache holds 3
            assertThat(longer).extracting(ServedPrompt::cacheableBlocks, ServedPrompt::hitBlocks,
                    ServedPrompt::storedBlocks).containsExactly(3, 2, 1);
        }
    }

    @Test
    void restartWithRebindDisconnectsAndSubscribersReconnectToSeqZero() throws Exception {
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-c").build())) {
            BlockingQueue<List<byte[]>> sub = subscribe(pod.pubEndpoint(0));
            assertThat(pod.awaitSubscribers(0, 1, WAIT)).isTrue();
            pod.serve(0, tokens(0, 32), null);
            pod.serve(0, tokens(100, 132), null);
            assertThat(seqOf(sub.poll(5, TimeUnit.SECONDS))).isZero();
            assertThat(seqOf(sub.poll(5, TimeUnit.SECONDS))).isEqualTo(1);
            int port = pod.pubPort(0);

            pod.restart(true);

            assertThat(pod.pubPort(0)).isEqualTo(port);
            assertThat(pod.cacheContents(0)).isEmpty();
            assertThat(pod.awaitSubscribers(0, 1, WAIT)).as("subscriber reconnected").isTrue();
            PublishedBatch after = pod.serve(0, tokens(0, 32), null).orElseThrow();
            assertThat(after.seq()).isZero();
            assertThat(after.epoch()).isEqualTo(1);
            assertThat(seqOf(sub.poll(5, TimeUnit.SECONDS))).isZero();
        }
    }

    @Test
    void overflowWithASmallHwmDropsButLogsEverything() throws Exception {
        SimPodConfig cfg = SimPodConfig.builder("pod-d").sndHwm(50).replayBufferSteps(100).capacityBlocks(512)
                .publishLogLimit(30_000).build();
        try (SimPod pod = SimPod.start(cfg)) {
            BlockingQueue<List<byte[]>> sub = subscribe(pod.pubEndpoint(0), 50, 200_000);
            assertThat(pod.awaitSubscribers(0, 1, WAIT)).isTrue();
            long start = System.nanoTime();

            int published = pod.overflow(0, 20_000);

            double seconds = (System.nanoTime() - start) / 1e9;
            LOG.info("overflow: {} batches served+encoded+published in {} s ({} batches/s)", published,
                    String.format("%.3f", seconds), Math.round(published / seconds));
            Set<Long> seqs = new HashSet<>();
            List<byte[]> f;
            while ((f = sub.poll(500, TimeUnit.MILLISECONDS)) != null) {
                seqs.add(seqOf(f));
            }
            assertThat(published).isEqualTo(20_000);
            assertThat(pod.publishLog(0).snapshot()).hasSize(20_000);
            assertThat(seqs).isNotEmpty().hasSizeLessThan(published);
            assertThat(pod.publisher(0).replayStats().buffered()).isEqualTo(100);
        }
    }

    @Test
    void metricsEndpointServesVllmNamesAndAWarmIdleCacheUsesNoKvUntilARequestRuns() throws Exception {
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-e").model("meta/llama").capacityBlocks(100)
                .dpRanks(2).servingPort(0).build())) {
            pod.serve(1, tokens(0, 16 * 100), null);
            pod.setLoad(1, 3, 7);
            HttpResponse<String> res = scrape(pod);

            // Every block is cached, none held by a running request: vLLM counts them free (evictable), usage 0.
            assertThat(pod.workerMetrics().get(1).cachedBlocks()).isEqualTo(100);
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.body())
                    .contains("# TYPE vllm:kv_cache_usage_perc gauge")
                    .contains("vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"meta/llama\"} 0.0")
                    .contains("vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"meta/llama\"} 0.0")
                    .doesNotContain("vllm:gpu_cache_usage_perc")
                    .contains("vllm:num_requests_running{engine=\"1\",model_name=\"meta/llama\"} 3.0")
                    .contains("vllm:num_requests_waiting{engine=\"1\",model_name=\"meta/llama\"} 7.0")
                    .contains("vllm:prefix_cache_queries_total{engine=\"1\",model_name=\"meta/llama\"} 1600.0");

            pod.beginRequest(1, 25);
            assertThat(scrape(pod).body())
                    .contains("vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"meta/llama\"} 0.25")
                    .contains("vllm:num_requests_running{engine=\"1\",model_name=\"meta/llama\"} 4.0");
            pod.endRequest(1, 25);
            assertThat(scrape(pod).body())
                    .contains("vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"meta/llama\"} 0.0");
            assertThat(pod.workerMetrics().get(1).cachedBlocks()).isEqualTo(100);
        }
    }

    @Test
    void metricsFollowRequestsBegunAndEndedAndCanUseTheOldUsageNameOrGoAway() throws Exception {
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-m").capacityBlocks(8)
                .kvUsageMetric(KvUsageMetric.GPU_CACHE_USAGE_PERC).servingPort(0).build())) {
            pod.serve(0, tokens(0, 16 * 2), null);
            pod.beginRequest(0, 2);
            pod.beginRequest(0, 2);
            pod.addLoad(0, 0, 3);
            pod.addLoad(0, 1, -1);
            pod.endRequest(0, 2);
            assertThat(pod.workerMetrics().get(0).running()).isEqualTo(2);
            assertThat(pod.workerMetrics().get(0).waiting()).isEqualTo(2);
            assertThat(scrape(pod).body())
                    .contains("vllm:gpu_cache_usage_perc{engine=\"0\",model_name=\"sim-model\"} 0.25")
                    .doesNotContain("vllm:kv_cache_usage_perc")
                    .contains("vllm:num_requests_running{engine=\"0\",model_name=\"sim-model\"} 2.0")
                    .contains("vllm:num_requests_waiting{engine=\"0\",model_name=\"sim-model\"} 2.0");

            pod.serveMetrics(false);
            assertThat(scrape(pod).statusCode()).isEqualTo(404);
            pod.serveMetrics(true);
            assertThat(scrape(pod).statusCode()).isEqualTo(200);
        }
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-n").servingPort(0).serveMetrics(false).build())) {
            assertThat(scrape(pod).statusCode()).isEqualTo(404);
        }
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-o").build())) {
            assertThat(pod.servingPort()).isEqualTo(-1);
        }
    }

    private static HttpResponse<String> scrape(SimPod pod) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + pod.servingPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void fleetStartsPodsOnDistinctPortsAndFindsThemByName() {
        try (SimFleet fleet = SimFleet.loopback(3, b -> b.dpRanks(2))) {
            Set<Integer> ports = new HashSet<>();
            for (SimPod p : fleet.pods()) {
                for (int r = 0; r < 2; r++) {
                    ports.add(p.pubPort(r));
                    ports.add(p.replayPort(r));
                }
            }
            assertThat(ports).hasSize(12);
            assertThat(fleet.pod("pod-1").config().pod()).isEqualTo("pod-1");
            assertThat(fleet.pod("default/vllm/pod-2")).isSameAs(fleet.pod(2));
        }
    }

    @Test
    void mainRunsAFleetForItsDurationAndExitsCleanly() {
        int code = new CommandLine(new SimMain()).execute("--pods", "2", "--base-port", "0", "--duration", "1",
                "--rate", "200", "--metrics-base-port", "0", "--lora", "a,b");
        assertThat(code).isZero();
    }

    @Test
    void mainShouldRunVllmFidelityWithRestartsAndExitCleanly() {
        int code = new CommandLine(new SimMain()).setCaseInsensitiveEnumValuesAllowed(true).execute("--pods", "2",
                "--base-port", "0", "--duration", "3", "--rate", "200", "--fidelity", "vllm_snapshot",
                "--restart-every", "1", "--restart-downtime-ms", "200", "--restart-burst", "10");
        assertThat(code).isZero();
    }

    private BlockingQueue<List<byte[]>> subscribe(String endpoint) {
        return subscribe(endpoint, 1000, 0);
    }

    /** A SUB on its own thread (a SUB only sends its subscription from inside recv), optionally slow. */
    private BlockingQueue<List<byte[]>> subscribe(String endpoint, int rcvHwm, long pauseNanos) {
        BlockingQueue<List<byte[]>> queue = new LinkedBlockingQueue<>();
        ZMQ.Socket sub = client.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setRcvHWM(rcvHwm);
        sub.setHandshakeIvl(500); // JeroMQ connect race: see ZmqClients in the zmq tests
        sub.setReceiveTimeOut(20);
        sub.subscribe(new byte[0]);
        sub.connect(endpoint);
        Thread t = new Thread(() -> {
            try {
                while (running) {
                    byte[] first = sub.recv(0);
                    if (first == null) {
                        continue;
                    }
                    List<byte[]> frames = new ArrayList<>(List.of(first));
                    while (sub.hasReceiveMore()) {
                        frames.add(sub.recv(0));
                    }
                    queue.add(frames);
                    if (pauseNanos > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
                    }
                }
            } finally {
                sub.close();
            }
        }, "test-sub");
        t.setDaemon(true);
        t.start();
        threads.add(t);
        return queue;
    }

    private static long seqOf(List<byte[]> frames) {
        assertThat(frames).as("message received").isNotNull();
        return ByteBuffer.wrap(frames.get(1)).getLong();
    }

    private static int[] tokens(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }
}
