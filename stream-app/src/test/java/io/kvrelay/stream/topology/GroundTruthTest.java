package io.kvrelay.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.decode.DecodedBatch;
import io.kvrelay.ingest.decode.KvEventDecoder;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.cache.BlockHasher;
import io.kvrelay.sim.cache.CachedBlock;
import io.kvrelay.sim.cache.KvCacheModel;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.replay.ReplayState;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.store.StoreNames;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The index against the simulator's ground truth. Simulated vLLM workers (the cache model: LRU, prefix reuse, LoRA)
 * run a long random workload with stores, evictions, cache clears and a publisher restart; their events go through the
 * real wire encoding (several layouts, int and byte hashes), the bridge's decoder and the topology. Afterwards the
 * index holds, worker by worker, exactly the block keys of the blocks each simulated cache holds.
 */
class GroundTruthTest {
    private static final int BLOCK_SIZE = 16;
    /**
     * Enough for every cache to fill and churn many times over (capacity evictions while serving, explicit evictions,
     * clears; asserted below) yet fast: each step costs a TopologyTestDriver round trip, which dominates the test
     * (20,000 steps took 108 s on a busy CI machine and showed nothing 5,000 do not).
     */
    private static final int STEPS = 5_000;
    /** Mid-run, so the restarted worker has a history before and after. */
    private static final int RESTART_STEP = STEPS / 2 + 17;

    private record SimWorker(String pod, int rank, KvCacheModel cache, PayloadEncoder encoder) {
        String workerKey() {
            return WorkerKeys.of(Events.podId(pod), rank);
        }
    }

    @Test
    void shouldEqualTheSimulatorsCacheContentsWorkerByWorker() throws Exception {
        Topics topics = Topics.defaults();
        StreamMetrics metrics = StreamMetrics.inMemory();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "ground-truth");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        List<SimWorker> workers = List.of(
                worker("pod-a", 0, PayloadLayout.ARRAY_FULL, HashEncoding.INT, 1),
                worker("pod-a", 1, PayloadLayout.ARRAY_FULL, HashEncoding.INT, 1),
                worker("pod-b", 0, PayloadLayout.MAP_EVENTS, HashEncoding.BYTES, 1),
                worker("pod-c", 0, PayloadLayout.MAP_ENVELOPE, HashEncoding.INT, 1),
                worker("pod-d", 0, PayloadLayout.ARRAY_FULL, HashEncoding.BYTES, 7));
        WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults()
                .withLoras(List.of("sql", "chat"), 0.2), 42);
        KvEventDecoder decoder = new KvEventDecoder();
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        Random rnd = new Random(7);
        Map<String, Long> seq = new HashMap<>();
        int stores = 0, evictions = 0, capacityEvictions = 0, clears = 0, restarts = 0;

        try (TopologyTestDriver driver = new TopologyTestDriver(IndexTopology.build(topics, metrics, false), p)) {
            // The analytics replay runs the same records through the same EventApplier, outside Kafka Streams.
            ReplayState replay = new ReplayState(new SimpleMeterRegistry());
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic(topics.kvEvents().name(),
                    new ByteArraySerializer(), new ByteArraySerializer());
            for (int step = 0; step < STEPS; step++) {
                SimWorker w = workers.get(rnd.nextInt(workers.size()));
                int dice = rnd.nextInt(1000);
                List<SimEvent> events;
                if (step == RESTART_STEP) {
                    // vLLM restarts: its cache is gone without an event; the bridge sees the sequence go back.
                    w.cache().reset();
                    restarts++;
                    KvEventBatch reset = base(w, -1);
                    reset.setOrigin(EventOrigin.BRIDGE);
                    reset.setEvents(List.of(new WorkerReset(WorkerResetReason.PUBLISHER_RESTART, 1L, 0L, "")));
                    byte[] value = codec.encode(reset);
                    in.pipeInput(key(w), value);
                    replay.apply(codec.decode(value));
                    continue;
                } else if (dice < 5) {
                    events = w.cache().clear();
                    clears++;
                } else if (dice < 60) {
                    events = w.cache().evictLru(1 + rnd.nextInt(40));
                    evictions++;
                } else {
                    WorkloadGenerator.Request r = gen.next();
                    events = w.cache().serve(r.tokens(), r.lora()).events();
                    stores++;
                    if (events.stream().anyMatch(e -> e instanceof SimEvent.Removed)) {
                        capacityEvictions++;  // a full cache made room: the LRU path the index must follow
                    }
                }
                if (events.isEmpty()) {
                    continue;
                }
                byte[] payload = w.encoder().encode(step, w.rank(), events);
                DecodedBatch d = decoder.decode(payload);
                KvEventBatch b = base(w, seq.merge(w.workerKey(), 1L, Long::sum));
                b.setEvents(d.events());
                byte[] value = codec.encode(b);
                in.pipeInput(key(w), value);
                replay.apply(codec.decode(value));
            }
            PrefixIndex index = ((PrefixIndexStore) driver.getStateStore(StoreNames.PREFIX_INDEX)).index();
            long total = 0;
            for (SimWorker w : workers) {
                Map<Long, Long> actual = new HashMap<>();
                int id = index.findWorker(w.workerKey());
                if (id >= 0) {
                    index.forEach(id, (hash, blockKey, tiers) -> actual.put(hash, blockKey));
                }
                Map<Long, Long> expected = expectedKeys(w.cache().contents());
                assertThat(actual).as(w.workerKey()).isEqualTo(expected);
                total += expected.size();
            }
            assertThat(total).as("blocks cached at the end").isGreaterThan(500);
            assertThat(IndexSnapshot.of(replay.index())).as("replay state = stream-app's index")
                    .isEqualTo(IndexSnapshot.of(index));
            assertThat(stores).isGreaterThan(1000);
            assertThat(evictions).isGreaterThan(100);
            assertThat(capacityEvictions).as("serves that evicted to make room").isGreaterThan(1000);
            assertThat(clears).isGreaterThan(10);
            assertThat(restarts).isEqualTo(1);
            // Every parent was known and every event well formed: nothing was skipped.
            assertThat(metrics.unknownParentBlocks.count()).isZero();
            assertThat(metrics.malformedStored.count()).isZero();
            assertThat(metrics.unknownRemoved.count()).isZero();
            // A shared system prompt is held by several workers under one block key.
            Set<Long> shared = new HashSet<>();
            Set<Long> seen = new HashSet<>();
            for (SimWorker w : workers) {
                for (long k : expectedKeys(w.cache().contents()).values()) {
                    if (!seen.add(k)) {
                        shared.add(k);
                    }
                }
            }
            assertThat(shared).as("keys held by more than one worker").isNotEmpty();
        }
    }

    /** engine hash → block key, computed from the cached tokens alone (as a router would from a prompt). */
    private static Map<Long, Long> expectedKeys(Map<Long, CachedBlock> contents) {
        Map<Long, Long> keys = new HashMap<>();
        for (CachedBlock b : contents.values()) {
            keyOf(b, contents, keys);
        }
        return keys;
    }

    private static long keyOf(CachedBlock b, Map<Long, CachedBlock> contents, Map<Long, Long> memo) {
        Long k = memo.get(b.hash());
        if (k != null) {
            return k;
        }
        long parent = b.parent() == null ? BlockKeys.ROOT : keyOf(contents.get(b.parent()), contents, memo);
        long key = BlockKeys.next(parent, BlockKeys.extraKey(b.lora()), b.tokenIds(), 0, b.tokenIds().length);
        memo.put(b.hash(), key);
        return key;
    }

    private static SimWorker worker(String pod, int rank, PayloadLayout layout, HashEncoding hashes, long seed) {
        // Same seed: the same prefix gets the same engine hash on different pods, as vLLM with one PYTHONHASHSEED.
        return new SimWorker(pod, rank, new KvCacheModel(300, BLOCK_SIZE, new BlockHasher(seed)),
                new PayloadEncoder(layout, hashes));
    }

    private static KvEventBatch base(SimWorker w, long seq) {
        KvEventBatch b = new KvEventBatch();
        b.setNamespace(Events.NS);
        b.setService(Events.SVC);
        b.setPod(w.pod());
        b.setDpRank(w.rank());
        b.setTopic("");
        b.setSequence(seq);
        b.setOrigin(EventOrigin.LIVE);
        b.setReceivedAtMicros(0);
        b.setSkippedEvents(0);
        return b;
    }

    private static byte[] key(SimWorker w) {
        return Events.podId(w.pod()).getBytes(StandardCharsets.UTF_8);
    }
}
