package io.kvrelay.ingest.position;

import static io.kvrelay.ingest.position.TestRecords.batch;
import static io.kvrelay.ingest.position.TestRecords.encode;
import static io.kvrelay.ingest.position.TestRecords.positionOf;
import static io.kvrelay.ingest.position.TestRecords.reset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.ingest.config.KafkaSinkConfig.RecoveryBounds;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.publish.KafkaPublisher;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.PodKey;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.testkit.KafkaBroker;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery against a real broker: records written by the bridge's own producer settings (so its partitioner), for
 * several workers over the 12 partitions of the event topic, read back from the tail.
 */
class PositionRecoveryIT {
    private static final Logger log = LoggerFactory.getLogger(PositionRecoveryIT.class);
    private static final KafkaBroker broker = KafkaBroker.shared();

    private static KafkaSinkConfig sink(String bootstrap, String prefix, long maxPerPartition, int chunk, long timeoutMs) {
        return new KafkaSinkConfig(bootstrap, prefix, true, (short) 1, "lz4", 5, Map.of())
                .withRecovery(true, new RecoveryBounds(timeoutMs, 120_000, maxPerPartition, chunk));
    }

    private static PodConfig podConfig(String name, int ranks) {
        return new PodConfig("ns", "svc", name, null, "127.0.0.1", 20_000, null, ranks, null, null);
    }

    private static WorkerId w(String pod, int rank) {
        return new WorkerId(new PodKey("ns", "svc", pod), rank);
    }

    private static Producer<byte[], byte[]> bridgeProducer(KafkaSinkConfig sink) {
        return new KafkaProducer<>(KafkaPublisher.producerProperties(sink, "it-positions-writer"));
    }

    private static void send(Producer<byte[], byte[]> p, String topic, KvEventBatch b) {
        p.send(new ProducerRecord<>(topic, new PodKey(b.getNamespace(), b.getService(), b.getPod()).toKafkaKey(),
                encode(b)));
    }

    /** Pods not configured, whose records land in {@code partition}. */
    private static List<String> noisePodsIn(int partition, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < count; i++) {
            if (PositionRecovery.partitionOf(new PodKey("ns", "svc", "noise-" + i), 12) == partition) {
                out.add("noise-" + i);
            }
        }
        return out;
    }

    @Test
    void shouldRecoverEachWorkersLastRecordFromTheTailOfItsPartition() {
        String prefix = "it-pos-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaSinkConfig sink = sink(broker.bootstrapServers(), prefix, 0, 1_000, 60_000);
        String topic = sink.topics().kvEvents().name();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), sink.topics().all());
        List<PodConfig> pods = List.of(podConfig("busy", 2), podConfig("removed", 1), podConfig("gap-open", 1),
                podConfig("gap-closed", 1), podConfig("old-schema", 1), podConfig("junk-last", 1),
                podConfig("far-back", 1), podConfig("never", 1));
        int farBackPartition = PositionRecovery.partitionOf(w("far-back", 0).pod(), 12);
        Random rnd = new Random(7);
        try (Producer<byte[], byte[]> p = bridgeProducer(sink)) {
            send(p, topic, batch(w("far-back", 0), 77));
            for (long s = 0; s < 300; s++) {
                send(p, topic, batch(w("busy", (int) (s % 2)), s));
                send(p, topic, batch(w("noise-x" + rnd.nextInt(40), 0), s)); // everywhere
            }
            send(p, topic, batch(w("removed", 0), 5));
            send(p, topic, reset(w("removed", 0), WorkerResetReason.POD_REMOVED, 5, -1));
            send(p, topic, batch(w("gap-open", 0), 10));
            send(p, topic, reset(w("gap-open", 0), WorkerResetReason.UNRECOVERABLE_GAP, 10, 20));
            send(p, topic, batch(w("gap-closed", 0), 10));
            send(p, topic, reset(w("gap-closed", 0), WorkerResetReason.UNRECOVERABLE_GAP, 10, 20));
            send(p, topic, batch(w("gap-closed", 0), 20));
            send(p, topic, batch(w("old-schema", 0), 3));
            p.send(new ProducerRecord<>(topic, w("old-schema", 0).pod().toKafkaKey(),
                    TestRecords.encodeV1(batch(w("old-schema", 0), 4))));
            send(p, topic, batch(w("junk-last", 0), 8));
            p.send(new ProducerRecord<>(topic, w("junk-last", 0).pod().toKafkaKey(), "{not avro}".getBytes()));
            // Far back: 5,500 newer records of other pods in its partition: three steps back (1,000, 2,000, 4,000).
            List<String> neighbours = noisePodsIn(farBackPartition, 5);
            for (int i = 0; i < 5_500; i++) {
                send(p, topic, batch(w(neighbours.get(i % neighbours.size()), 0), i));
            }
            send(p, topic, batch(w("busy", 1), 300));
            p.flush();
        }

        RecoveredPositions r = new PositionRecovery(sink, "it").recover(pods);

        assertThat(r.positions()).isEqualTo(Map.of(
                w("busy", 0), positionOf(w("busy", 0), 298),
                w("busy", 1), positionOf(w("busy", 1), 300),
                w("gap-closed", 0), positionOf(w("gap-closed", 0), 20),
                w("old-schema", 0), new WorkerPosition(4, null, "kv@old-schema", 1_700_000_000_000_004L, null),
                w("junk-last", 0), positionOf(w("junk-last", 0), 8),
                w("far-back", 0), positionOf(w("far-back", 0), 77)));
        assertThat(r.resetLast()).containsExactlyInAnyOrder(w("removed", 0), w("gap-open", 0));
        assertThat(r.notFound()).containsExactly(w("never", 0));
        assertThat(r.unresolved()).isEmpty();
        assertThat(r.stats().undecodable()).isEqualTo(1);
        assertThat(r.stats().recordsRead()).isGreaterThanOrEqualTo(5_500);
        Set<Integer> partitionsOfPods = new java.util.HashSet<>();
        pods.forEach(pc -> partitionsOfPods.add(PositionRecovery.partitionOf(pc.key(), 12)));
        assertThat(r.stats().partitionsRead()).isEqualTo(partitionsOfPods.size());

        // The same log, with a bound that stops short of the far-back worker.
        RecoveredPositions bounded = new PositionRecovery(sink(broker.bootstrapServers(), prefix, 2_500, 1_000, 60_000),
                "it").recover(pods);
        assertThat(bounded.unresolved()).contains(w("far-back", 0));
        assertThat(bounded.positions()).doesNotContainKey(w("far-back", 0)).containsKey(w("busy", 1));
    }

    @Test
    void shouldCallEveryWorkerNewWithoutCreatingTheTopicWhenItDoesNotExist() throws Exception {
        String prefix = "it-pos-absent-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaSinkConfig sink = sink(broker.bootstrapServers(), prefix, 0, 0, 60_000);

        RecoveredPositions r = new PositionRecovery(sink, "it").recover(List.of(podConfig("a", 2)));

        assertThat(r.notFound()).containsExactlyInAnyOrder(w("a", 0), w("a", 1));
        assertThat(r.positions()).isEmpty();
        assertThat(broker.admin().listTopics().names().get()).doesNotContain(sink.topics().kvEvents().name());
    }

    @Test
    void shouldFailTheStartWhenKafkaDoesNotAnswerWithinTheBound() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        KafkaSinkConfig sink = sink("127.0.0.1:" + closedPort, "it-pos-down", 0, 0, 1_500);

        assertThatThrownBy(() -> new PositionRecovery(sink, "it").recover(List.of(podConfig("a", 1))))
                .isInstanceOf(PositionRecoveryException.class)
                .hasMessageContaining("did not answer")
                .hasMessageContaining("kafka.recoverPositions")
                .satisfies(e -> log.info("refused as it should be: {}", e.getMessage()));
    }

    /**
     * Recovery over 60 workers (30 pods, 2 ranks) on a topic of {@code kvrelay.bench.records} records, one worker of
     * which last wrote at the very start: every position found, and the worst case (a pod never seen in any
     * partition) reads each partition whole. In every run with 5,000 records (it used to be skipped unless asked for,
     * and a skipped test proves nothing); {@code -Dkvrelay.bench.records=200000} makes it the measurement it was, the
     * times in the log.
     */
    @Test
    void recoversEveryWorkerOfALargerTopic() {
        int records = Integer.getInteger("kvrelay.bench.records", 5_000);
        String prefix = "it-pos-bench-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaSinkConfig sink = sink(broker.bootstrapServers(), prefix, 0, 0, 120_000);
        String topic = sink.topics().kvEvents().name();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), sink.topics().all());
        List<PodConfig> pods = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            pods.add(podConfig("bench-" + i, 2));
        }
        List<WorkerId> workers = WorkerId.of(pods);
        WorkerId idle = workers.get(0);
        Map<WorkerId, Long> last = new HashMap<>();
        Random rnd = new Random(3);
        long t0 = System.nanoTime();
        try (Producer<byte[], byte[]> p = bridgeProducer(sink)) {
            for (int i = 0; i < records; i++) {
                WorkerId worker = i == 0 ? idle : workers.get(1 + rnd.nextInt(workers.size() - 1));
                long seq = last.merge(worker, 1L, Long::sum);
                KvEventBatch b = batch(worker, seq);
                b.setEvents(List.of(TestRecords.stored(seq, 4)));
                send(p, topic, b);
            }
            p.flush();
        }
        log.info("bench: wrote {} records in {} ms", records, (System.nanoTime() - t0) / 1_000_000);

        RecoveredPositions r = new PositionRecovery(sink, "bench").recover(pods);

        log.info("bench: recovered {} positions of {} workers: {} records read, {} decoded, in {} ms",
                r.positions().size(), workers.size(), r.stats().recordsRead(), r.stats().recordsDecoded(),
                r.stats().elapsedMillis());
        assertThat(r.positions()).hasSize(workers.size());
        assertThat(r.positions().get(idle).lastSequence()).isEqualTo(1);

        // The worst case: one configured pod in every partition that never wrote, so every partition is read whole.
        List<PodConfig> withAbsent = new ArrayList<>(pods);
        for (int partition = 0; partition < 12; partition++) {
            withAbsent.add(podConfig(noisePodsIn(partition, 1).get(0), 1));
        }
        for (int chunk : new int[] {2_000, 10_000, 2_000}) {
            KafkaSinkConfig c = sink(broker.bootstrapServers(), prefix, 0, chunk, 120_000);
            RecoveredPositions full = new PositionRecovery(c, "bench").recover(withAbsent);
            log.info("bench: whole topic, chunk {}: {} records read in {} ms ({} records/s)", chunk,
                    full.stats().recordsRead(), full.stats().elapsedMillis(),
                    full.stats().recordsRead() * 1000 / Math.max(1, full.stats().elapsedMillis()));
            assertThat(full.notFound()).hasSize(12);
        }
    }
}
