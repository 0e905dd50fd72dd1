package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.ingest.zmq.WorkerStats;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.zmq.PublishedBatch;
import io.kvrelay.testkit.KafkaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka goes down under load: "the bridge stops reading at the bound and recovers the rest through replay once Kafka
 * returns; whatever it cannot recover it reports as a WorkerReset, never as silence."
 *
 * <p>A real broker in a child JVM ({@link KafkaProcess}) is stopped and started again on the same port and data
 * while two simulated pods keep publishing: pod-a with a replay buffer far larger than what the PUB drops, pod-b with
 * one far smaller. Every queue between the pods and Kafka is small (PUB and SUB high-water marks, the hand-off and
 * the producer's own buffer), so the outage really overflows the PUB sockets.
 *
 * <p>Then, per worker: pod-a has every batch in Kafka exactly once, in order, with no reset, some of them brought
 * back by replay; pod-b has one or more {@code UNRECOVERABLE_GAP} resets whose ranges together are exactly the batches
 * missing from Kafka, and everything else exactly once, in order.
 */
class KafkaOutageIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaOutageIT.class);

    private static final int HANDOFF_CAPACITY = 64;
    private static final int SUB_HWM = 100;
    private static final int PUB_HWM = 100;
    private static final int POD_A_REPLAY = 50_000;
    private static final int POD_B_REPLAY = 50;
    /** Before the outage, per pod, in chunks the bridge keeps up with. */
    private static final int WARMUP_BATCHES = 100;
    /**
     * Published while the bridge is blocked, per pod: far more than every queue in between holds, see below. Loopback
     * TCP buffers autotune up to several MiB here (tcp_rmem max 32 MiB), so a burst of 1,000 small batches sometimes
     * fitted entirely in flight and nothing dropped; 10,000 always overflows.
     */
    private static final int OUTAGE_BATCHES = 10_000;
    /** Published after Kafka is back, per pod: a live message after the hole, well inside pod-b's buffer. */
    private static final int AFTER_BATCHES = 5;
    private static final int CHUNK = 10;

    @TempDir
    Path dir;

    @Test
    void shouldStopAtTheBoundAndRecoverOrReportEverythingWhenKafkaReturns() throws Exception {
        String prefix = "it-outage-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), 0);
             SimFleet fleet = SimFleet.start(List.of(
                     SimPodConfig.builder("pod-a").namespace("it").service("svc").sndHwm(PUB_HWM)
                             .replayBufferSteps(POD_A_REPLAY).seed(11).build(),
                     SimPodConfig.builder("pod-b").namespace("it").service("svc").sndHwm(PUB_HWM)
                             .replayBufferSteps(POD_B_REPLAY).seed(12).build()))) {
            SimPod podA = fleet.pod("pod-a");
            SimPod podB = fleet.pod("pod-b");
            List<PodConfig> pods = new ArrayList<>();
            for (SimPod p : fleet.pods()) {
                SimPodConfig c = p.config();
                pods.add(new PodConfig(c.namespace(), c.service(), c.pod(), null, "127.0.0.1", p.pubBasePort(),
                        p.replayBasePort(), c.dpRanks(), c.model(), ""));
            }
            // tail probe 500 ms: an idle worker asks for the tail soon after the backlog is drained.
            ZmqConfig zmq = new ZmqConfig(SUB_HWM, 2_000, 100, 2_000, 10_000, true, 500, 0);
            // The producer's own buffer is a queue too: by default 32 MiB, which would swallow this whole outage
            // without ever blocking. A small one (8 batches of 16 KiB) makes send() time out (max.block.ms = 1 s)
            // within the first few hundred records, so the hand-off is the bound that stops the reading.
            KafkaSinkConfig sink = new KafkaSinkConfig(kafka.bootstrapServers(), prefix, true, (short) 1, "lz4", 5,
                    Map.of("buffer.memory", String.valueOf(128 * 1024), "batch.size", String.valueOf(16 * 1024)));
            try (IngestBridge bridge = new IngestBridge(new BridgeConfig("it-outage", sink, zmq,
                    new AdminConfig("127.0.0.1", 0), HANDOFF_CAPACITY, 1_000, pods)).start()) {
                for (SimPod p : fleet.pods()) {
                    assertThat(p.awaitSubscribers(0, 1, Duration.ofSeconds(60))).as(p.id() + " subscribed").isTrue();
                }
                Map<SimPod, WorkloadGenerator> gens = Map.of(
                        podA, new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 11),
                        podB, new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 12));
                Map<SimPod, WorkerStats> stats = Map.of(podA, stats(bridge, podA), podB, stats(bridge, podB));

                // 1. Steady traffic, in chunks far below every high-water mark, each read before the next: nothing
                //    overflows while Kafka is up.
                for (int i = 0; i < WARMUP_BATCHES / CHUNK; i++) {
                    for (SimPod p : fleet.pods()) {
                        publish(p, gens.get(p), CHUNK);
                    }
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                            .until(() -> fleet.pods().stream().allMatch(p -> caughtUp(p, stats.get(p))));
                }
                awaitEverythingInKafka(kafka, bridge, fleet, Duration.ofSeconds(120));
                assertThat(bridge.healthy()).isTrue();
                long aWarmupEnd = podA.publisher(0).nextSeq();

                // 2. Kafka goes away (SIGTERM, clean shutdown: stop() returns once the process exited).
                long t0 = System.nanoTime();
                kafka.stop();
                log.info("Kafka stopped in {} ms", ms(t0));
                double liveBefore = bridge.metrics().count("kvrelay.bridge.batches", "origin", "live");
                long tOutage = System.nanoTime();

                // 2a. Keep publishing at a pace the bridge follows, until it blocks: the producer's buffer fills,
                //     send() times out, the publisher holds its record and the hand-off fills up behind it. Pacing
                //     matters: a burst now would overflow the PUB while the bridge still reads, and the holes it
                //     left would each be repaired (or, on pod-b, reset) separately; this test wants one hole per
                //     pod, made while the bridge is blocked.
                int paced = 0;
                while (!blocked(bridge)) {
                    assertThat(paced).as("the bridge never blocked with Kafka down").isLessThan(5_000);
                    for (SimPod p : fleet.pods()) {
                        publish(p, gens.get(p), CHUNK);
                    }
                    paced += CHUNK;
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                            .until(() -> blocked(bridge)
                                    || fleet.pods().stream().allMatch(p -> caughtUp(p, stats.get(p))));
                }
                long blockedAfterMs = ms(tOutage);
                assertThat(bridge.healthy()).as("healthy with Kafka down").isFalse();
                assertThat(bridge.handoffDepth()).isEqualTo(HANDOFF_CAPACITY);
                Map<SimPod, Long> lastReadBeforeBurst = Map.of(podA, stats.get(podA).lastSequence(),
                        podB, stats.get(podB).lastSequence());
                double liveAtBlock = bridge.metrics().count("kvrelay.bridge.batches", "origin", "live");

                // 2b. The burst: the bridge is blocked, so each pod's batches fill the SUB queue (100), the TCP
                //     buffers in between and the PUB queue (100), and the PUB drops the rest: one contiguous hole per
                //     pod. OUTAGE_BATCHES is chosen far above what these queues hold (a few hundred of these
                //     batches; measured and logged below), and far below pod-a's replay buffer.
                Map<SimPod, Long> burstStart = new HashMap<>();
                for (SimPod p : fleet.pods()) {
                    burstStart.put(p, p.publisher(0).nextSeq());
                }
                for (int i = 0; i < OUTAGE_BATCHES / CHUNK; i++) {
                    for (SimPod p : fleet.pods()) {
                        publish(p, gens.get(p), CHUNK);
                    }
                }
                Map<SimPod, Long> burstEnd = new HashMap<>();
                for (SimPod p : fleet.pods()) {
                    burstEnd.put(p, p.publisher(0).nextSeq());
                }

                // Still blocked at the bound, reading nothing: during the burst at most the batch a subscriber had
                // already handed over when the block was seen gets counted, and then, for a whole second, nothing.
                double liveAfterBurst = bridge.metrics().count("kvrelay.bridge.batches", "origin", "live");
                assertThat(liveAfterBurst - liveAtBlock).isLessThanOrEqualTo(fleet.size());
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30))
                        .until(() -> blocked(bridge)
                                && bridge.metrics().count("kvrelay.bridge.batches", "origin", "live") == liveAfterBurst);
                for (SimPod p : fleet.pods()) {
                    assertThat(stats.get(p).lastSequence()).as("%s read during the burst", p.id())
                            .isLessThanOrEqualTo(lastReadBeforeBurst.get(p) + 1); // at most the one put() waits on
                }
                log.info("outage: bridge blocked {} ms after Kafka stopped, after {} paced batches per pod; it read "
                                + "{} live batches during the outage (hand-off {} / {}, healthy {}); "
                                + "burst per pod: pod-a {}..{}, pod-b {}..{}",
                        blockedAfterMs, paced, (long) (liveAfterBurst - liveBefore), bridge.handoffDepth(),
                        HANDOFF_CAPACITY, bridge.healthy(), burstStart.get(podA), burstEnd.get(podA) - 1,
                        burstStart.get(podB), burstEnd.get(podB) - 1);

                // 3. Kafka returns, same port, same data.
                long tBack = System.nanoTime();
                kafka.startProcess();
                log.info("Kafka back in {} ms", ms(tBack));
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(bridge::healthy);
                log.info("bridge healthy {} ms after Kafka restart began", ms(tBack));
                // A live message after each hole: the bridge notices the gap on it (or on its idle tail probe).
                for (SimPod p : fleet.pods()) {
                    publish(p, gens.get(p), AFTER_BATCHES);
                }
                awaitEverythingInKafka(kafka, bridge, fleet, Duration.ofSeconds(180));
                long recoveredMs = ms(tBack);
                assertThat(bridge.healthy()).isTrue();

                // 4. The proof, worker by worker.
                List<KvEventBatch> all = readAll(kafka, bridge.topics().kvEvents().name(), AvroCodec.kvEvents());
                assertThat(readAll(kafka, bridge.topics().deadLetters().name(), AvroCodec.deadLetters())).isEmpty();
                List<KvEventBatch> aRecords = recordsOf(all, podA);
                List<KvEventBatch> bRecords = recordsOf(all, podB);

                // pod-a: the PUB dropped parts of the burst, and replay brought all of it back.
                long aFound = new WorkerLedger("pod-a#0", aRecords)
                        .check(podA.publishLog(0).snapshot(), Set.of(), List.of());
                assertThat(aFound).isEqualTo(podA.publisher(0).nextSeq());
                // Replays of warm-up batches are the bridge catching up after subscribing (a PUB drops what it sends
                // before the subscription reaches it: on a busy machine, pod-a's first ten batches in one CI run);
                // the ledger above already proves each of those once. The outage's replays are the burst's.
                List<Long> aReplayed = aRecords.stream().filter(b -> b.getOrigin() == EventOrigin.REPLAY)
                        .map(KvEventBatch::getSequence).filter(s -> s >= aWarmupEnd).toList();
                assertThat(aReplayed).as("pod-a batches recovered through replay").isNotEmpty()
                        .allMatch(s -> s >= burstStart.get(podA) && s < bEndOf(podA));

                // pod-b: the same kind of holes, but most of them fell out of its 50-step buffer before the bridge
                // could ask: every one is reported by an UNRECOVERABLE_GAP reset, and each reset's range
                // [lastSequence + 1, resumeSequence - 1] holds exactly batches that are not in Kafka. How many holes
                // the PUB made depends on how far the bursting publisher ran ahead of its own I/O thread, so the
                // number of resets is not fixed; that together they name exactly what is missing is.
                List<WorkerReset> bResets = bRecords.stream().filter(b -> b.getOrigin() == EventOrigin.BRIDGE)
                        .map(b -> (WorkerReset) b.getEvents().get(0)).toList();
                assertThat(bResets).as("pod-b resets").isNotEmpty()
                        .allMatch(r -> r.getReason() == WorkerResetReason.UNRECOVERABLE_GAP)
                        .allMatch(r -> r.getLastSequence() != null && r.getResumeSequence() != null
                                && r.getResumeSequence() > r.getLastSequence() + 1);
                Set<Long> bInKafka = new HashSet<>();
                bRecords.stream().filter(b -> b.getOrigin() != EventOrigin.BRIDGE)
                        .forEach(b -> bInKafka.add(b.getSequence()));
                List<PublishedBatch> bPublished = podB.publishLog(0).snapshot();
                List<Long> missing = bPublished.stream().map(PublishedBatch::seq).filter(s -> !bInKafka.contains(s))
                        .toList();
                List<Long> declared = new ArrayList<>();
                for (WorkerReset r : bResets) {
                    declared.addAll(range(r.getLastSequence() + 1, r.getResumeSequence() - 1));
                }
                assertThat(declared).as("pod-b: declared lost, in order (%s), vs missing from Kafka (%s)", ranges(declared),
                        ranges(missing)).isEqualTo(missing);
                assertThat(missing).as("pod-b: lost only in the burst")
                        .allMatch(s -> s >= burstStart.get(podB) && s < burstEnd.get(podB));
                // Everything else exactly once, in order; the ledger checks the list of resets too.
                Set<Long> lost = new HashSet<>(missing);
                List<PublishedBatch> bRecoverable = bPublished.stream().filter(pb -> !lost.contains(pb.seq())).toList();
                long bFound = new WorkerLedger("pod-b#0", bRecords).check(bRecoverable, Set.of(),
                        bResets.stream().map(r -> WorkerResetReason.UNRECOVERABLE_GAP).toList());
                assertThat(bFound).isEqualTo(bRecoverable.size());

                assertThat(bridge.metrics().count("kvrelay.bridge.worker.resets", "reason", "unrecoverable_gap"))
                        .isEqualTo(bResets.size());
                assertThat(bridge.metrics().count("kvrelay.bridge.produce.errors")).isZero();
                assertThat(bridge.metrics().count("kvrelay.bridge.produce.overtaken"))
                        .as("an outage and its back-pressure are not KAFKA-15591's signature").isZero();
                log.info("recovered {} ms after Kafka restart began; pod-a: {} batches replayed ({}); pod-b: {} "
                                + "reset(s), lost {} ({} batches), replayed {}; gaps {}, replays complete {}, failed {}, "
                                + "duplicates {}; replay requests a={} b={}",
                        recoveredMs, aReplayed.size(), ranges(aReplayed), bResets.size(), ranges(missing),
                        missing.size(), ranges(bRecords.stream().filter(b -> b.getOrigin() == EventOrigin.REPLAY)
                                .map(KvEventBatch::getSequence).toList()),
                        bridge.metrics().count("kvrelay.bridge.gaps"),
                        bridge.metrics().count("kvrelay.bridge.replays.complete"),
                        bridge.metrics().count("kvrelay.bridge.replays.failed"),
                        bridge.metrics().count("kvrelay.bridge.duplicates"),
                        podA.publisher(0).replayStats().requests(), podB.publisher(0).replayStats().requests());
            }
        }
    }

    private static long bEndOf(SimPod pod) {
        return pod.publisher(0).nextSeq();
    }

    /** "a..b, c..d" for ascending sequences. */
    private static String ranges(List<Long> seqs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < seqs.size(); i++) {
            int j = i;
            while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + 1) {
                j++;
            }
            sb.append(sb.length() == 0 ? "" : ", ").append(seqs.get(i));
            if (j > i) {
                sb.append("..").append(seqs.get(j));
            }
            i = j;
        }
        return sb.toString();
    }

    /** Serves prompts on rank 0 until {@code n} batches were published (a full cache hit publishes nothing). */
    private static void publish(SimPod pod, WorkloadGenerator gen, int n) {
        long target = pod.publisher(0).nextSeq() + n;
        while (pod.publisher(0).nextSeq() < target) {
            WorkloadGenerator.Request r = gen.next();
            pod.serve(0, r.tokens(), r.lora());
        }
    }

    private static WorkerStats stats(IngestBridge bridge, SimPod pod) {
        return bridge.registry().get(pod.id()).orElseThrow().workers().get(0).stats();
    }

    private static boolean caughtUp(SimPod pod, WorkerStats stats) {
        return stats.lastSequence() == pod.publisher(0).nextSeq() - 1;
    }

    /** Kafka refuses records and the hand-off is full: every subscriber that has something to hand over waits. */
    private static boolean blocked(IngestBridge bridge) {
        return !bridge.healthy() && bridge.handoffDepth() == HANDOFF_CAPACITY;
    }

    private static List<KvEventBatch> recordsOf(List<KvEventBatch> all, SimPod pod) {
        String name = pod.config().pod();
        return all.stream().filter(b -> name.equals(b.getPod()) && b.getDpRank() == 0).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    private static long ms(long sinceNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
    }

    private static void awaitEverythingInKafka(KafkaProcess kafka, IngestBridge bridge, SimFleet fleet,
                                               Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(workersBehind(kafka, bridge, fleet)).isEmpty());
    }

    /** Workers whose last published batch is not in Kafka yet: "pod#rank: kafka=X published=Y". */
    private static List<String> workersBehind(KafkaProcess kafka, IngestBridge bridge, SimFleet fleet) {
        Map<String, Long> lastInKafka = new HashMap<>();
        for (KvEventBatch b : readAll(kafka, bridge.topics().kvEvents().name(), AvroCodec.kvEvents())) {
            if (b.getOrigin() != EventOrigin.BRIDGE) {
                lastInKafka.put(b.getPod() + "#" + b.getDpRank(), b.getSequence());
            }
        }
        List<String> behind = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            String w = p.config().pod() + "#0";
            Long last = lastInKafka.get(w);
            long published = p.publisher(0).nextSeq() - 1;
            if (last == null || last != published) {
                behind.add(w + ": kafka=" + last + " published=" + published);
            }
        }
        return behind;
    }

    /** Every record of a topic up to its end offsets as of this call, decoded, in partition order. */
    private static <T extends org.apache.avro.specific.SpecificRecord> List<T> readAll(KafkaProcess kafka,
                                                                                      String topic, AvroCodec<T> codec) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        Duration timeout = Duration.ofSeconds(120);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic, timeout).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, timeout));
            end.values().removeIf(v -> v == 0L);
            List<T> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!end.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + "; still waiting for " + end);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        out.add(codec.decode(r.value()));
                    } catch (IOException e) {
                        throw new UncheckedIOException("undecodable record at " + r.topic() + "/" + r.partition()
                                + "@" + r.offset(), e);
                    }
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long last = end.get(tp);
                    if (last != null && r.offset() + 1 >= last) {
                        end.remove(tp);
                    }
                }
            }
            return out;
        }
    }
}
