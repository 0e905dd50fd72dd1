package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.ReplayStats;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 30,000 batches published past a small PUB high-water mark while the bridge's process is frozen (SIGSTOP), with a
 * replay buffer that holds them all and vLLM's replay as it really is (every buffered batch from the start on the
 * publishing thread, through a ROUTER at send HWM 1,000 that drops what does not fit, the end marker included).
 * Before, the bridge cut the round at the first jump, re-asked at once behind vLLM's send loop, timed out and declared
 * 20,000+ recoverable batches lost. Now: one request at a time, continued from what arrived once the old stream went
 * quiet, until the live sequence: every batch in Kafka exactly once, in order, no reset.
 */
class ReplayFloodIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final int FLOOD = 30_000;

    @TempDir
    Path dir;

    @Test
    void shouldRecoverAFloodPastThePubHighWaterMarkWithoutDeclaringItLost() throws Exception {
        String prefix = "it-flood-" + UUID.randomUUID().toString().substring(0, 8);
        try (SimPod pod = SimPod.start(SimPodConfig.builder("flood-0").namespace("it").service("svc")
                .preset(FidelityPreset.VLLM).sndHwm(100).replayBufferSteps(FLOOD + 2_000)
                .publishLogLimit(FLOOD + 2_000).capacityBlocks(100_000).seed(31).build());
             BridgeProcess bridge = new BridgeProcess(dir, broker.bootstrapServers(), prefix,
                     List.of(BridgeProcess.pod("flood-0", pod.pubBasePort(), pod.replayBasePort())))) {
            bridge.start().awaitHealthy(Duration.ofSeconds(90));
            assertThat(pod.awaitSubscribers(0, 1, Duration.ofSeconds(60))).isTrue();
            PayloadEncoder encoder = new PayloadEncoder(PayloadLayout.MAP_EVENTS, HashEncoding.INT);
            for (int i = 0; i < 100; i++) {
                pod.publishRaw(0, payload(encoder, i));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> lastInKafka(prefix) == 99);

            bridge.freeze();
            for (int i = 100; i < 100 + FLOOD; i++) {
                pod.publishRaw(0, payload(encoder, i));
            }
            bridge.thaw();
            long last = pod.publisher(0).nextSeq() - 1;
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> lastInKafka(prefix) == last);

            List<KvEventBatch> records = new TopicReader(broker).events(prefix + ".kv-events");
            new WorkerLedger("flood-0#0", records).check(pod.publishLog(0).snapshot(), Set.of(), List.of());
            assertThat(records).hasSize((int) (last + 1));
            assertThat(records.stream().filter(b -> b.getOrigin() == EventOrigin.REPLAY).count())
                    .as("most of the flood came through the replay").isGreaterThan(FLOOD / 2);
            ReplayStats stats = pod.replayStats(0);
            double requests = bridge.metric("kvrelay_bridge_replay_requests_count", null);
            double requestsSum = bridge.metric("kvrelay_bridge_replay_requests_sum", null);
            System.out.printf("ReplayFloodIT: pod replies sent %d, dropped %d, requests served %d; bridge: %.0f"
                    + " recoveries, %.0f requests%n", stats.repliesSent(), stats.repliesDropped(), stats.served(),
                    requests, requestsSum);
            assertThat(bridge.metric("kvrelay_bridge_worker_resets_total", null)).isZero();
        }
    }

    private static byte[] payload(PayloadEncoder encoder, int i) {
        long h = 0x5eed_0000_0000L + i;
        return encoder.encode(1_757_500_000.0 + i / 1000.0, 0,
                List.of(SimEvent.Stored.gpu(new long[] {h}, i == 0 ? null : h - 1, new int[16], 16)));
    }

    private static long lastInKafka(String prefix) {
        long last = -1;
        for (KvEventBatch b : new TopicReader(broker).events(prefix + ".kv-events")) {
            if (b.getOrigin() != EventOrigin.BRIDGE) {
                last = Math.max(last, b.getSequence());
            }
        }
        return last;
    }
}
