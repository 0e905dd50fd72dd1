package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.RestartPlan;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.zmq.PublishedBatch;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * vLLM's real restart: the process goes away (the bridge's SUB sees the disconnect and its reconnect backoff grows),
 * and the new incarnation publishes a burst from seq 0 right after binding, so that by the time the bridge is back
 * it is far past the old last sequence. Before, the bridge took that for a gap, filled it from the new buffer as the
 * continuation of the old incarnation, lost the new seq 0..19 without a record and emitted no reset. Now: exactly one
 * {@code PUBLISHER_RESTART}, then every batch of the new incarnation, in order.
 */
class PublisherRestartIT {
    private static final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void shouldNeverDeliverANewIncarnationAsTheContinuationOfTheOld() throws Exception {
        run(FidelityPreset.VLLM, "restart-vllm");
    }

    /**
     * The snapshot variant puts a publisher id in a 24-byte sequence frame: the records carry it, idle heartbeats are
     * counted and not written, and a new id is a new incarnation.
     */
    @Test
    void shouldAcceptTwentyFourByteSequenceFramesAndTakeANewPublisherIdForARestart() throws Exception {
        IngestBridge bridge = run(FidelityPreset.VLLM_SNAPSHOT, "restart-snap");
        List<KvEventBatch> records = new TopicReader(broker).events(bridge.topics().kvEvents().name());
        assertThat(records).filteredOn(b -> b.getOrigin() != EventOrigin.BRIDGE)
                .allSatisfy(b -> assertThat(b.getPublisherId()).isNotNull())
                .extracting(b -> b.getPublisherId().remaining()).containsOnly(16);
        assertThat(records).filteredOn(b -> b.getOrigin() != EventOrigin.BRIDGE)
                .extracting(b -> uuid(b.getPublisherId())).hasSize(records.size() - 1).containsOnly(ids[0], ids[1]);
    }

    private final UUID[] ids = new UUID[2];

    private IngestBridge run(FidelityPreset preset, String name) throws Exception {
        String prefix = "it-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
        SimPod pod = SimPod.start(SimPodConfig.builder(name).namespace("it").service("svc").preset(preset)
                .capacityBlocks(100_000).seed(11).build());
        PodConfig pc = new PodConfig("it", "svc", name, null, "127.0.0.1", pod.pubBasePort(), pod.replayBasePort(), 1,
                null, "");
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                Map.of());
        // The default reconnect backoff (100 ms doubling to 5 s): after 4 s away the bridge is back only at ~6 s.
        IngestBridge bridge = new IngestBridge(new BridgeConfig("it", kafka, ZmqConfig.defaults(),
                new AdminConfig("127.0.0.1", 0), 1_024, 5_000, List.of(pc))).start();
        try {
            assertThat(pod.awaitSubscribers(0, 1, Duration.ofSeconds(30))).isTrue();
            WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 11);
            for (int i = 0; i < 20; i++) {
                WorkloadGenerator.Request r = gen.next();
                pod.serve(0, r.tokens(), r.lora());
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> lastDelivered(bridge) == lastWithEvents(pod));
            long lastOfOld = lastWithEvents(pod);
            ids[0] = pod.publisherId(0);

            pod.restart(RestartPlan.processExit(Duration.ofSeconds(4), 1_700));
            ids[1] = pod.publisherId(0);
            assertThat(pod.epoch(0)).isEqualTo(1);
            for (int i = 0; i < 20; i++) {
                WorkloadGenerator.Request r = gen.next();
                pod.serve(0, r.tokens(), r.lora());
            }
            long lastOfNew = lastWithEvents(pod);
            assertThat(lastOfNew).isGreaterThan(1_700);

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> lastDelivered(bridge) == lastOfNew);
            List<KvEventBatch> records = new TopicReader(broker).events(bridge.topics().kvEvents().name());
            List<PublishedBatch> log = pod.publishLog(0).snapshot();
            new WorkerLedger(name + "#0", records).check(log, Set.of(), List.of(WorkerResetReason.PUBLISHER_RESTART));
            WorkerReset reset = records.stream().filter(b -> b.getOrigin() == EventOrigin.BRIDGE)
                    .map(b -> (WorkerReset) b.getEvents().get(0)).findFirst().orElseThrow();
            assertThat(reset.getLastSequence()).isGreaterThanOrEqualTo(lastOfOld);
            assertThat(reset.getResumeSequence()).as("the new incarnation from its first batch").isEqualTo(0L);
            assertThat(records.stream().filter(b -> b.getOrigin() != EventOrigin.BRIDGE).count())
                    .as("every batch of both incarnations, once")
                    .isEqualTo(log.stream().filter(b -> !(b.isEmpty() && b.publisherId() != null)).count());
            return bridge;
        } finally {
            bridge.close();
            pod.close();
        }
    }

    private static long lastDelivered(IngestBridge bridge) {
        return bridge.registry().pods().iterator().next().workers().get(0).stats().lastSequence();
    }

    /** The last batch with events of the current incarnation (heartbeats of the snapshot variant are not written). */
    private static long lastWithEvents(SimPod pod) {
        int epoch = pod.epoch(0);
        return pod.publishLog(0).snapshot().stream().filter(b -> b.epoch() == epoch && !b.isEmpty())
                .mapToLong(PublishedBatch::seq).max().orElse(-1);
    }

    private static UUID uuid(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        return new UUID(d.getLong(), d.getLong());
    }
}
