package io.kvrelay.bench.index;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The prefix index at steady state, about 1M (block, worker) entries over 64 workers. Targets (one core):
 * <ul>
 *   <li>{@code applyStored} ≥ 2,000,000 blocks/s: one BlockStored of 16 blocks × 16 tokens per op (ops/s = blocks/s
 *       through {@code @OperationsPerInvocation(16)}): keys chained with {@link BlockKeys#next} from the parent's key
 *       (half the events continue the worker's last block, half start a prompt), put under one write lock, and, the
 *       worker being full, its 16 oldest blocks removed first (vLLM's eviction, a BlockRemoved) so the size stays put;
 *       through {@link PrefixIndex#removeAll}/{@link PrefixIndex#putAll}, and {@code applyStoredPerBlock} the same
 *       with one remove/put call per block; {@code storeOnly}: the BlockStored path alone, eviction untimed;</li>
 *   <li>{@code match256x64} ≤ 5 µs: a 256-key chain against 64 candidates: a 64-block system prompt held by all, then
 *       a conversation each worker holds to a different depth (0..189 blocks, the tail on CPU for odd workers). 16 such
 *       chains rotate, on top of ~1M unrelated entries;</li>
 *   <li>{@code blockKey}: one {@link BlockKeys#next} over 16 tokens, for attribution.</li>
 * </ul>
 * Memory per entry is measured by {@link IndexMemory}, outside JMH.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PrefixIndexBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1</pre>
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PrefixIndexBenchmark {
    static final int WORKERS = 64;
    static final int BLOCKS = 16;
    static final int BLOCK_SIZE = 16;

    /** The stream task's view: 64 workers, each full with a FIFO of its blocks to evict from. */
    @State(Scope.Thread)
    public static class Applying {
        /**
         * Blocks per worker: 15,616 (976 events) makes 999,424 entries, the target's size; 256 makes 16,384 entries,
         * an index that fits in cache, which shows what of the cost is memory latency.
         */
        @Param({"15616"})
        public int perWorker;
        PrefixIndex index;
        int[] ids;
        long[][] fifo;
        int[] head;
        int[] count;
        int[] tokens;
        int tokenAt;
        long hashSeq;
        final long[] keys = new long[BLOCKS];
        final long[] evicted = new long[BLOCKS];
        final long[] hashes = new long[BLOCKS];
        SplittableRandom rnd;

        @Setup
        public void setup() {
            if (perWorker % BLOCKS != 0) {
                throw new IllegalArgumentException("perWorker must be a multiple of " + BLOCKS);
            }
            index = new PrefixIndex(WORKERS * perWorker);
            ids = workers(index);
            fifo = new long[WORKERS][perWorker];
            head = new int[WORKERS];
            count = new int[WORKERS];
            rnd = new SplittableRandom(42);
            tokens = rnd.ints((1 << 20) + BLOCKS * BLOCK_SIZE, 0, 150_000).toArray();
            for (int e = 0; e < perWorker / BLOCKS; e++) {
                for (int w = 0; w < WORKERS; w++) {
                    apply(w, true);
                }
            }
            if (index.entryCount() != (long) WORKERS * perWorker) {
                throw new IllegalStateException("unexpected fill: " + index.entryCount());
            }
        }

        /** One BlockStored on worker w, after evicting its 16 oldest blocks when it is full, under one write lock. */
        long apply(int w, boolean batch) {
            index.writeLock().lock();
            try {
                evict(w, batch);
                return store(w, batch);
            } finally {
                index.writeLock().unlock();
            }
        }

        /** vLLM's eviction: a BlockRemoved of the worker's 16 oldest blocks, when it is full. */
        void evict(int w, boolean batch) {
            if (count[w] < perWorker) {
                return;
            }
            long[] q = fifo[w];
            if (batch) {
                System.arraycopy(q, head[w], evicted, 0, BLOCKS); // blocks move in 16s: no wrap inside one
                index.removeAll(ids[w], evicted, BLOCKS, Tier.ALL, null);
            } else {
                for (int b = 0; b < BLOCKS; b++) {
                    index.remove(ids[w], q[head[w] + b], Tier.ALL);
                }
            }
            head[w] = (head[w] + BLOCKS) % perWorker;
            count[w] -= BLOCKS;
        }

        /** A BlockStored of 16 blocks: half continue the worker's last block, half start a prompt. */
        long store(int w, boolean batch) {
            int id = ids[w];
            long[] q = fifo[w];
            int tail = (head[w] + count[w]) % perWorker;
            long parent = BlockKeys.ROOT;
            if (count[w] > 0 && rnd.nextBoolean()) {
                parent = index.keyOf(id, q[(tail + perWorker - 1) % perWorker]);
            }
            int from = tokenAt;
            tokenAt = (tokenAt + 4099) & ((1 << 20) - 1); // odd stride: token windows rarely repeat
            for (int b = 0; b < BLOCKS; b++, from += BLOCK_SIZE) {
                parent = BlockKeys.next(parent, 0L, tokens, from, from + BLOCK_SIZE);
                keys[b] = parent;
                hashes[b] = q[tail + b] = mix(++hashSeq);
            }
            if (batch) {
                index.putAll(id, hashes, keys, BLOCKS, Tier.GPU);
            } else {
                for (int b = 0; b < BLOCKS; b++) {
                    index.put(id, hashes[b], keys[b], Tier.GPU);
                }
            }
            count[w] += BLOCKS;
            return parent;
        }
    }

    /** {@link Applying} with the eviction done before each op, outside the measurement: the BlockStored path alone. */
    @State(Scope.Thread)
    public static class Evicted extends Applying {
        int worker;

        @Setup(Level.Invocation)
        public void evictNext() {
            worker = rnd.nextInt(WORKERS);
            index.writeLock().lock();
            try {
                evict(worker, true);
            } finally {
                index.writeLock().unlock();
            }
        }

        long storeLocked() {
            index.writeLock().lock();
            try {
                return store(worker, true);
            } finally {
                index.writeLock().unlock();
            }
        }
    }

    /** The router's view: 16 rotating 256-key chains over an index of ~1M entries. */
    @State(Scope.Thread)
    public static class Matching {
        static final int CHAINS = 16;
        static final int KEYS = 256;
        static final int SYSTEM = 64;
        PrefixIndex index;
        long[][] chains = new long[CHAINS][KEYS];
        int[] candidates;
        int[] matched = new int[WORKERS];
        int[] gpuMatched = new int[WORKERS];
        int next;

        @Setup
        public void setup() {
            index = new PrefixIndex(1 << 20);
            candidates = workers(index);
            SplittableRandom rnd = new SplittableRandom(7);
            long hash = 0;
            long shared = 0;
            for (long[] chain : chains) {
                for (int k = 0; k < KEYS; k++) {
                    chain[k] = rnd.nextLong() | 1L;
                }
                for (int w = 0; w < WORKERS; w++) {
                    int depth = SYSTEM + 3 * w; // worker w holds the system prompt and 3·w conversation blocks
                    for (int k = 0; k < depth; k++) {
                        index.put(candidates[w], mix(++hash), chain[k], k >= SYSTEM + 48 && (w & 1) == 1
                                ? Tier.CPU : Tier.GPU);
                        shared++;
                    }
                }
            }
            long perWorker = (1_000_000 - shared) / WORKERS;
            for (int w = 0; w < WORKERS; w++) {
                for (long b = 0; b < perWorker; b++) {
                    index.put(candidates[w], mix(++hash), rnd.nextLong() | 1L, Tier.GPU); // unrelated blocks
                }
            }
            int best = index.match(chains[0], KEYS, candidates, WORKERS, matched, gpuMatched);
            if (best != SYSTEM + 3 * (WORKERS - 1) || matched[0] != SYSTEM || gpuMatched[63] != SYSTEM + 48) {
                throw new IllegalStateException("unexpected match: best " + best + ", w0 " + matched[0]
                        + ", w63 gpu " + gpuMatched[63]);
            }
        }
    }

    /** Key-computation state: one 16-token block. */
    @State(Scope.Thread)
    public static class Keying {
        int[] tokens = new SplittableRandom(3).ints(BLOCK_SIZE, 0, 150_000).toArray();
        long parent = 12345;
    }

    static int[] workers(PrefixIndex index) {
        int[] ids = new int[WORKERS];
        for (int w = 0; w < WORKERS; w++) {
            ids[w] = index.workerId("bench/vllm/pod-" + w + "#0");
        }
        return ids;
    }

    /** SplitMix64 finaliser: engine hashes look like vLLM's (uniform 64-bit). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BLOCKS)
    public long applyStored(Applying s) {
        return s.apply(s.rnd.nextInt(WORKERS), true);
    }

    /**
     * The BlockStored path alone (keys + putAll), the eviction that keeps the size steady done in an untimed
     * per-invocation setup (JMH's Level.Invocation: adds its own timing overhead to ops of a few µs, so read as ±5%).
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BLOCKS)
    public long storeOnly(Evicted s) {
        return s.storeLocked();
    }

    /** The same through single put/remove calls (still under one write lock per event), for comparison. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BLOCKS)
    public long applyStoredPerBlock(Applying s) {
        return s.apply(s.rnd.nextInt(WORKERS), false);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int match256x64(Matching s) {
        long[] chain = s.chains[s.next++ & (Matching.CHAINS - 1)];
        return s.index.match(chain, Matching.KEYS, s.candidates, WORKERS, s.matched, s.gpuMatched);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long blockKey(Keying s) {
        return s.parent = BlockKeys.next(s.parent, 0L, s.tokens, 0, BLOCK_SIZE);
    }
}
