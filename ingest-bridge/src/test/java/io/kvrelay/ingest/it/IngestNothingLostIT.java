package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.ReplayReplyShape;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingest proof: 8 simulated vLLM pods (every payload layout, int and bytes hashes, both replay reply shapes, one
 * pod with 2 DP ranks) publish over real ZeroMQ to the bridge, which writes to a real broker. Along the way: a PUB
 * overflow, deterministic losses in transit (repaired by replay), a loss larger than the replay buffer, a pod without
 * replay, a publisher restart and undecodable payloads.
 *
 * <p>Then, worker by worker, every batch the simulator published is in Kafka exactly once and in order, or is in the
 * dead-letter topic, or lies in a range a {@code WorkerReset} declared lost; and the resets are exactly the expected
 * ones.
 */
class IngestNothingLostIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final String PREFIX = "it-lost-" + UUID.randomUUID().toString().substring(0, 8);
    private static final int REQUESTS_PER_WORKER = 150;

    private static SimFleet fleet;
    private static IngestBridge bridge;
    /** Expected resets per worker ("pod#rank"), in order. */
    private static final Map<String, List<WorkerResetReason>> expectedResets = new HashMap<>();

    @BeforeAll
    static void runWorkload() throws Exception {
        PayloadLayout[] layouts = PayloadLayout.values();
        List<SimPodConfig> configs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            SimPodConfig.Builder b = SimPodConfig.builder("pod-" + i).namespace("it").service("svc-" + (i % 2))
                    .layout(layouts[i % layouts.length])
                    .hashEncoding(i % 3 == 0 ? HashEncoding.BYTES : HashEncoding.INT)
                    .replyShape(i % 2 == 0 ? ReplayReplyShape.WITH_TOPIC : ReplayReplyShape.WITHOUT_TOPIC)
                    .capacityBlocks(256).seed(100 + i);
            switch (i) {
                case 3 -> b.sndHwm(10);                       // overflows for real under the burst below
                case 5 -> b.replayBufferSteps(20);            // loses more than its replay buffer holds
                case 6 -> b.replayBasePort(null);             // no replay socket at all
                case 7 -> b.dpRanks(2);
                default -> { }
            }
            configs.add(b.build());
        }
        fleet = SimFleet.start(configs);

        List<PodConfig> pods = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            SimPodConfig c = p.config();
            pods.add(new PodConfig(c.namespace(), c.service(), c.pod(), null, "127.0.0.1", p.pubBasePort(),
                    p.replayBasePort(), c.dpRanks(), c.model(), ""));
        }
        // A small SUB queue so the overflow burst cannot hide in it.
        ZmqConfig zmq = new ZmqConfig(1_000, 2_000, 100, 2_000, 10_000, true, 500, 0);
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), PREFIX, true, (short) 1, "lz4", 5, Map.of());
        bridge = new IngestBridge(new BridgeConfig("it", kafka, zmq, new AdminConfig("127.0.0.1", 0), 256, 500, pods))
                .start();
        for (SimPod p : fleet.pods()) {
            for (int r = 0; r < p.ranks(); r++) {
                assertThat(p.awaitSubscribers(r, 1, Duration.ofSeconds(15))).as(p.id() + " subscribed").isTrue();
            }
        }

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            running.add(pool.submit(() -> drive(p)));
        }
        for (Future<?> f : running) {
            f.get();
        }
        pool.shutdown();
        awaitEverythingInKafka();
    }

    /** Each pod's script: normal traffic with its own incident in the middle. */
    private static void drive(SimPod pod) {
        WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), pod.config().seed());
        String name = pod.config().pod();
        for (int r = 0; r < pod.ranks(); r++) {
            expectedResets.put(name + "#" + r, new ArrayList<>());
        }
        for (int i = 0; i < REQUESTS_PER_WORKER; i++) {
            for (int r = 0; r < pod.ranks(); r++) {
                WorkloadGenerator.Request req = gen.next();
                pod.serve(r, req.tokens(), req.lora());
            }
            if (i == REQUESTS_PER_WORKER / 2) {
                incident(pod, name);
            }
        }
        pod.clear(0);
    }

    private static void incident(SimPod pod, String name) {
        switch (name) {
            case "pod-1" -> {
                pod.publishRaw(0, "not msgpack at all".getBytes(StandardCharsets.UTF_8));
                pod.publishRaw(0, new byte[] {(byte) 0x93, (byte) 0xcb, 0x41});
                pod.publishEvents(0, List.of(new SimEvent.Unknown("BlockPinned", new long[] {1, 2}), new SimEvent.Cleared()));
            }
            case "pod-2" -> {
                pod.restart();
                expectedResets.get("pod-2#0").add(WorkerResetReason.PUBLISHER_RESTART);
            }
            case "pod-3" -> pod.overflow(0, 3_000);
            case "pod-4" -> pod.withholdNext(0, 30);
            case "pod-5" -> {
                pod.withholdNext(0, 50);
                expectedResets.get("pod-5#0").add(WorkerResetReason.UNRECOVERABLE_GAP);
            }
            case "pod-6" -> {
                pod.withholdNext(0, 10);
                expectedResets.get("pod-6#0").add(WorkerResetReason.UNRECOVERABLE_GAP);
            }
            case "pod-7" -> pod.withholdNext(1, 5);
            default -> { }
        }
    }

    private static void awaitEverythingInKafka() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(workersBehind()).isEmpty());
    }

    /** Workers whose last published batch is not in Kafka yet: "pod#rank: kafka=X published=Y". */
    private static List<String> workersBehind() {
        Map<String, Long> lastInKafka = new HashMap<>();
        for (KvEventBatch b : new TopicReader(broker).events(bridge.topics().kvEvents().name())) {
            if (b.getOrigin() != EventOrigin.BRIDGE) {
                lastInKafka.put(b.getPod() + "#" + b.getDpRank(), b.getSequence());
            }
        }
        List<String> behind = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            for (int r = 0; r < p.ranks(); r++) {
                String w = p.config().pod() + "#" + r;
                Long last = lastInKafka.get(w);
                long published = p.publisher(r).nextSeq() - 1;
                if (last == null || last != published) {
                    behind.add(w + ": kafka=" + last + " published=" + published);
                }
            }
        }
        return behind;
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

    @Test
    void shouldDeliverEveryPublishedBatchExactlyOnceInOrderOrReportIt() {
        List<KvEventBatch> all = new TopicReader(broker).events(bridge.topics().kvEvents().name());
        Map<String, Set<Long>> deadBySeq = new HashMap<>();
        for (DeadLetter d : new TopicReader(broker).deadLetters(bridge.topics().deadLetters().name())) {
            deadBySeq.computeIfAbsent(d.getPod() + "#" + d.getDpRank(), k -> new HashSet<>()).add(d.getSequence());
        }
        long delivered = 0;
        for (SimPod p : fleet.pods()) {
            for (int r = 0; r < p.ranks(); r++) {
                String worker = p.config().pod() + "#" + r;
                List<KvEventBatch> records = all.stream()
                        .filter(b -> worker.equals(b.getPod() + "#" + b.getDpRank())).toList();
                delivered += new WorkerLedger(worker, records)
                        .check(p.publishLog(r).snapshot(), deadBySeq.getOrDefault(worker, Set.of()),
                                expectedResets.get(worker));
            }
        }
        assertThat(delivered).isGreaterThan(8L * REQUESTS_PER_WORKER);
    }

    @Test
    void shouldDeadLetterExactlyTheUndecodablePayloads() {
        List<DeadLetter> dead = new TopicReader(broker).deadLetters(bridge.topics().deadLetters().name());

        assertThat(dead).hasSize(2).allSatisfy(d -> {
            assertThat(d.getPod()).isEqualTo("pod-1");
            assertThat(d.getErrorMessage()).isNotBlank();
        });
        assertThat(bridge.metrics().count("kvrelay.bridge.events.unknown")).isEqualTo(1);
    }

    @Test
    void shouldRepairGapsThroughReplay() {
        assertThat(bridge.metrics().count("kvrelay.bridge.gaps")).isGreaterThanOrEqualTo(4);
        assertThat(bridge.metrics().count("kvrelay.bridge.replays.complete")).isGreaterThanOrEqualTo(2);
        assertThat(bridge.metrics().count("kvrelay.bridge.batches", "origin", "replay")).isGreaterThanOrEqualTo(35);
    }

    @Test
    void shouldReportEveryPodConnectedOnTheStatusTopic() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Map<String, PodStatus> latest = new HashMap<>();
            for (PodStatus s : new TopicReader(broker).statuses(bridge.topics().podStatus().name())) {
                latest.put(s.getPod(), s);
            }
            assertThat(latest).hasSize(8);
            assertThat(latest.values()).allSatisfy(s -> assertThat(s.getState()).isEqualTo(PodState.CONNECTED));
            assertThat(latest.get("pod-7").getWorkers()).hasSize(2);
        });
    }
}
