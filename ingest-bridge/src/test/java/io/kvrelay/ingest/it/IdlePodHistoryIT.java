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
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.testkit.KafkaBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A pod that published 500 batches and then went idle, and a bridge that connects only afterwards: the bridge probes
 * the replay once after connecting, so the pod's history reaches Kafka without waiting for its next batch (before,
 * nothing arrived until the pod published again, 76 s later in the report). The tail probe is turned off so that
 * only the probe on connection can bring it.
 */
class IdlePodHistoryIT {
    private static final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void shouldDeliverAnIdlePodsBufferedHistoryRightAfterConnecting() {
        String prefix = "it-idle-" + UUID.randomUUID().toString().substring(0, 8);
        try (SimPod pod = SimPod.start(SimPodConfig.builder("idle-0").namespace("it").service("svc")
                .topic("kv@idle-0@m").capacityBlocks(100_000).seed(7).build())) {
            WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 7);
            while (pod.publisher(0).nextSeq() < 500) {
                WorkloadGenerator.Request r = gen.next();
                pod.serve(0, r.tokens(), r.lora());
            }
            long published = pod.publisher(0).nextSeq();
            PodConfig pc = new PodConfig("it", "svc", "idle-0", null, "127.0.0.1", pod.pubBasePort(),
                    pod.replayBasePort(), 1, null, "");
            ZmqConfig zmq = new ZmqConfig(0, 0, 0, 0, 0, null, -1, 0);
            KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                    Map.of());
            try (IngestBridge bridge = new IngestBridge(new BridgeConfig("it", kafka, zmq,
                    new AdminConfig("127.0.0.1", 0), 1_024, 5_000, List.of(pc))).start()) {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(bridge.metrics().count("kvrelay.bridge.batches", "origin", "replay"))
                                .isEqualTo((double) published));
                List<KvEventBatch> records = new TopicReader(broker).events(bridge.topics().kvEvents().name());
                assertThat(records).extracting(KvEventBatch::getSequence)
                        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, published).boxed().toList());
                assertThat(records).allSatisfy(b -> {
                    assertThat(b.getOrigin()).isEqualTo(EventOrigin.REPLAY);
                    // Replies carry the topic frame here; the record says what vLLM sent.
                    assertThat(b.getTopic()).isEqualTo("kv@idle-0@m");
                    assertThat(b.getPayloadDigest()).isNotNull();
                });
                assertThat(pod.publisher(0).nextSeq()).as("the pod stayed idle").isEqualTo(published);
            }
        }
    }

    /** Replies without a topic frame (vLLM before #45177): the replayed records carry the worker's last live topic. */
    @Test
    void shouldGiveReplayedRecordsTheLastLiveTopicWhenRepliesCarryNone() {
        String prefix = "it-topic-" + UUID.randomUUID().toString().substring(0, 8);
        try (SimPod pod = SimPod.start(SimPodConfig.builder("notopic-0").namespace("it").service("svc")
                .topic("kv@10.1.2.3@llama").replyShape(io.kvrelay.sim.zmq.ReplayReplyShape.WITHOUT_TOPIC)
                .capacityBlocks(100_000).seed(8).build())) {
            PodConfig pc = new PodConfig("it", "svc", "notopic-0", null, "127.0.0.1", pod.pubBasePort(),
                    pod.replayBasePort(), 1, null, "");
            KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                    Map.of());
            try (IngestBridge bridge = new IngestBridge(new BridgeConfig("it", kafka, ZmqConfig.defaults(),
                    new AdminConfig("127.0.0.1", 0), 1_024, 5_000, List.of(pc))).start()) {
                assertThat(pod.awaitSubscribers(0, 1, Duration.ofSeconds(30))).isTrue();
                // Let the probe on connection see the empty buffer first: batches it replays before any live message
                // cannot know the live topic (they take the configured subscription topic).
                await().atMost(Duration.ofSeconds(60)).until(() -> bridge.metrics().registry()
                        .find("kvrelay.bridge.replay.requests").summary().count() >= 1);
                WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 8);
                for (int i = 0; i < 60; i++) {
                    if (i == 20) {
                        pod.withholdNext(0, 15); // lost in transit: only the replay brings them
                    }
                    WorkloadGenerator.Request r = gen.next();
                    pod.serve(0, r.tokens(), r.lora());
                }
                long published = pod.publisher(0).nextSeq();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(new TopicReader(broker).events(bridge.topics().kvEvents().name()))
                                .hasSize((int) published));
                List<KvEventBatch> records = new TopicReader(broker).events(bridge.topics().kvEvents().name());
                assertThat(records).filteredOn(b -> b.getOrigin() == EventOrigin.REPLAY).hasSizeGreaterThanOrEqualTo(15)
                        .allSatisfy(b -> assertThat(b.getTopic()).isEqualTo("kv@10.1.2.3@llama"));
                assertThat(records).allSatisfy(b -> assertThat(b.getTopic()).isEqualTo("kv@10.1.2.3@llama"));
            }
        }
    }
}
