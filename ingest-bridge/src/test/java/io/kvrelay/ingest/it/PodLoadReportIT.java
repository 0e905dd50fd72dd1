package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.metrics.KvUsageMetric;
import io.kvrelay.testkit.KafkaBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load in pod status, end to end: simulated vLLM pods serve {@code /metrics} on real sockets (one with 2 DP ranks and
 * the current KV-usage name, one with the name older releases used), a third pod's metrics endpoint is down; the
 * bridge scrapes them and publishes {@code PodStatus} records to a real broker. The records carry each pod's address
 * and the simulator's running / waiting / KV usage, follow a change in the simulator, and go unknown (null) when a
 * pod's metrics stop answering, while that pod's status and KV events keep flowing.
 */
class PodLoadReportIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final String PREFIX = "it-load-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static SimFleet fleet;
    private static IngestBridge bridge;
    private static int deadPort;

    @BeforeAll
    static void start() throws IOException {
        fleet = SimFleet.start(List.of(
                SimPodConfig.builder("pod-a").namespace("it").service("svc").dpRanks(2).capacityBlocks(64)
                        .servingPort(0).build(),
                SimPodConfig.builder("pod-b").namespace("it").service("svc").capacityBlocks(32)
                        .kvUsageMetric(KvUsageMetric.GPU_CACHE_USAGE_PERC).servingPort(0).build(),
                SimPodConfig.builder("pod-c").namespace("it").service("svc").build()));
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort(); // closed again: connections are refused, as at a pod whose server is down
        }
        List<PodConfig> pods = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            SimPodConfig c = p.config();
            int serving = p.servingPort() > 0 ? p.servingPort() : deadPort;
            pods.add(new PodConfig(c.namespace(), c.service(), c.pod(), null, "127.0.0.1", p.pubBasePort(),
                    p.replayBasePort(), c.dpRanks(), c.model(), "", serving, null));
        }
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), PREFIX, true, (short) 1, "lz4", 1, Map.of());
        // 200 ms status interval: scrape timeout 200 ms, values stale after 600 ms.
        bridge = new IngestBridge(new BridgeConfig("it", kafka, ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0),
                256, 200, pods)).start();
        for (SimPod p : fleet.pods()) {
            for (int r = 0; r < p.ranks(); r++) {
                assertThat(p.awaitSubscribers(r, 1, Duration.ofSeconds(15))).as(p.id() + " subscribed").isTrue();
            }
        }
    }

    @AfterAll
    static void stop() {
        if (bridge != null) {
            bridge.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    private static int[] prompt(int seed, int blocks) {
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = seed * 100_000 + i;
        }
        return t;
    }

    private static List<PodStatus> statuses(String pod) {
        return new TopicReader(broker).statuses(bridge.topics().podStatus().name()).stream()
                .filter(s -> s.getPod().equals(pod)).toList();
    }

    /** Waits for a status of {@code pod} that matches, and returns it. */
    private static PodStatus awaitStatus(String pod, Predicate<PodStatus> match) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> statuses(pod).stream().filter(match).reduce((a, b) -> b).orElse(null),
                        s -> s != null);
    }

    private static boolean load(PodStatus s, Integer running, Integer waiting, Double usage) {
        return java.util.Objects.equals(s.getRunningRequests(), running)
                && java.util.Objects.equals(s.getWaitingRequests(), waiting)
                && java.util.Objects.equals(s.getKvCacheUsage(), usage);
    }

    @Test
    void statusCarriesAddressAndLoadFollowsTheSimulatorAndADeadEndpointMeansUnknownLoadNotLostEvents() {
        SimPod a = fleet.pod("pod-a");
        SimPod b = fleet.pod("pod-b");
        SimPod c = fleet.pod("pod-c");
        // pod-a: rank 0 runs 3 and queues 1, rank 1 runs 2 and queues 2; their running requests hold 16 / 64 and
        // 32 / 64 blocks (the KV usage, as vLLM counts it).
        a.setLoad(0, 3, 1, 16);
        a.beginRequest(1, 16);
        a.beginRequest(1, 16);
        a.addLoad(1, 0, 2);
        a.serve(0, prompt(1, 16), null);
        a.serve(1, prompt(2, 32), null);
        // pod-b (old usage name): 1 running, holding 8 / 32 blocks.
        b.beginRequest(0, 8);
        b.serve(0, prompt(3, 8), null);
        c.serve(0, prompt(4, 4), null);

        PodStatus sa = awaitStatus("pod-a", s -> load(s, 5, 3, 0.5));
        assertThat(sa.getAddress()).isEqualTo("127.0.0.1:" + a.servingPort());
        assertThat(sa.getState()).isEqualTo(PodState.CONNECTED);
        PodStatus sb = awaitStatus("pod-b", s -> load(s, 1, 0, 0.25));
        assertThat(sb.getAddress()).isEqualTo("127.0.0.1:" + b.servingPort());
        PodStatus sc = awaitStatus("pod-c", s -> s.getState() == PodState.CONNECTED);
        assertThat(sc.getAddress()).isEqualTo("127.0.0.1:" + deadPort);
        assertThat(sc.getLoadUnknownSinceMicros()).as("pod-c never answered: load unknown since scraping began")
                .isNotNull().isLessThanOrEqualTo(sc.getReportedAtMicros());
        assertThat(sa.getLoadUnknownSinceMicros()).as("pod-a answers").isNull();
        assertThat(statuses("pod-c")).isNotEmpty()
                .allSatisfy(s -> assertThat(load(s, null, null, null)).as("pod-c load unknown").isTrue());

        // The simulator moves: pod-a's rank 1 finishes both requests and loses its cache.
        a.endRequest(1, 16);
        a.endRequest(1, 16);
        a.clear(1);
        awaitStatus("pod-a", s -> load(s, 3, 3, 0.25));

        // pod-b's metrics go away: once its last values are stale its load is unknown, and it stays CONNECTED.
        b.serveMetrics(false);
        PodStatus gone = awaitStatus("pod-b", s -> load(s, null, null, null));
        assertThat(gone.getState()).isEqualTo(PodState.CONNECTED);
        assertThat(gone.getAddress()).isEqualTo("127.0.0.1:" + b.servingPort());
        assertThat(gone.getLoadUnknownSinceMicros()).as("since when stream-app may suspect it is hung")
                .isNotNull().isLessThanOrEqualTo(gone.getReportedAtMicros());
        b.serveMetrics(true);
        PodStatus back = awaitStatus("pod-b",
                s -> load(s, 1, 0, 0.25) && s.getReportedAtMicros() > gone.getReportedAtMicros());
        assertThat(back.getLoadUnknownSinceMicros()).isNull();

        // pod-c's KV events flow all along, its dead metrics endpoint notwithstanding.
        c.serve(0, prompt(5, 4), null);
        String events = bridge.topics().kvEvents().name();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> new TopicReader(broker).events(events)
                .stream().filter(e -> e.getPod().equals("pod-c")).map(KvEventBatch::getSequence).toList(),
                seqs -> seqs.equals(List.of(0L, 1L)));

        assertThat(bridge.metrics().count("kvrelay.bridge.pod.metrics.failures", "reason", "unreachable"))
                .isPositive();
        assertThat(bridge.metrics().count("kvrelay.bridge.pod.metrics.failures", "reason", "http_status"))
                .isPositive();
        assertThat(bridge.metrics().count("kvrelay.bridge.pod.metrics.scrapes")).isPositive();
        assertThat(bridge.metrics().count("kvrelay.bridge.status.skipped")).isZero();
    }
}
