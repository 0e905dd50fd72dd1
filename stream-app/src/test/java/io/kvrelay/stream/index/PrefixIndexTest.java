package io.kvrelay.stream.index;

import static io.kvrelay.stream.index.Tier.ALL;
import static io.kvrelay.stream.index.Tier.CPU;
import static io.kvrelay.stream.index.Tier.GPU;
import static io.kvrelay.stream.index.Tier.REMOTE;
import static io.kvrelay.stream.index.Tier.STORAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PrefixIndexTest {
    private final PrefixIndex index = new PrefixIndex();
    private final int a = index.workerId("ns/svc/pod-a#0");
    private final int b = index.workerId("ns/svc/pod-b#0");

    private Map<Long, long[]> entries(int worker) {
        Map<Long, long[]> out = new HashMap<>();
        index.forEach(worker, (h, k, t) -> out.put(h, new long[] {k, t}));
        return out;
    }

    private int[][] match(long[] keys, int... candidates) {
        int[] matched = new int[candidates.length];
        int[] gpu = new int[candidates.length];
        int best = index.match(keys, keys.length, candidates, candidates.length, matched, gpu);
        return new int[][] {matched, gpu, {best}};
    }

    @Test
    void shouldHandOutDenseStableWorkerIds() {
        assertThat(a).isZero();
        assertThat(b).isEqualTo(1);
        assertThat(index.workerId("ns/svc/pod-a#0")).isEqualTo(a);
        assertThat(index.findWorker("ns/svc/pod-b#0")).isEqualTo(b);
        assertThat(index.findWorker("ns/svc/nope#0")).isEqualTo(-1);
        assertThat(index.workerKey(b)).isEqualTo("ns/svc/pod-b#0");
        assertThatThrownBy(() -> index.workerKey(7)).isInstanceOf(IllegalArgumentException.class);
        assertThat(index.workers()).as("only workers that hold blocks").isEmpty();
        index.put(b, 1, 10, GPU);
        assertThat(index.workers()).containsExactly("ns/svc/pod-b#0");
    }

    @Test
    void shouldPutAndLookUpPerWorker() {
        index.put(a, 100, 1000, GPU);
        index.put(a, 101, 1001, CPU);
        index.put(a, 0, 1002, GPU); // engine hash 0 is a valid hash

        assertThat(index.keyOf(a, 100)).isEqualTo(1000);
        assertThat(index.keyOf(a, 0)).isEqualTo(1002);
        assertThat(index.keyOf(b, 100)).isEqualTo(PrefixIndex.NO_KEY);
        assertThat(index.keyOf(42, 100)).isEqualTo(PrefixIndex.NO_KEY);
        assertThat(index.tiersOf(a, 101)).isEqualTo(CPU);
        assertThat(index.blockCount(a)).isEqualTo(3);
        assertThat(index.blockCount(b)).isZero();
        assertThat(index.entryCount()).isEqualTo(3);
        assertThat(entries(a)).containsOnlyKeys(100L, 101L, 0L);
        assertThat(entries(a).get(101L)).containsExactly(1001, CPU);
    }

    @Test
    void shouldAccumulateAndClearTierBits() {
        index.put(a, 100, 1000, GPU);
        index.put(a, 100, 1000, CPU);
        assertThat(index.tiersOf(a, 100)).isEqualTo(GPU | CPU);

        assertThat(index.remove(a, 100, GPU)).isEqualTo(1000);
        assertThat(index.tiersOf(a, 100)).isEqualTo(CPU);
        assertThat(match(new long[] {1000}, a)[0]).containsExactly(1);
        assertThat(match(new long[] {1000}, a)[1]).as("no longer on GPU").containsExactly(0);

        assertThat(index.remove(a, 100, STORAGE)).as("clearing an unset bit changes nothing").isEqualTo(1000);
        assertThat(index.remove(a, 100, CPU)).isEqualTo(1000);
        assertThat(index.keyOf(a, 100)).isEqualTo(PrefixIndex.NO_KEY);
        assertThat(index.entryCount()).isZero();
        assertThat(index.remove(a, 100, ALL)).isEqualTo(PrefixIndex.NO_KEY);
    }

    @Test
    void shouldApplyWholeEventsInBatches() {
        index.putAll(a, new long[] {1, 2, 3, 99}, new long[] {11, 12, 13, 99}, 3, GPU);
        assertThat(index.blockCount(a)).as("only the first n").isEqualTo(3);
        assertThat(match(new long[] {11, 12, 13}, a)[1]).containsExactly(3);

        long[] removed = new long[3];
        assertThat(index.removeAll(a, new long[] {2, 7, 3}, 3, ALL, removed)).isEqualTo(2);
        assertThat(removed).containsExactly(12, PrefixIndex.NO_KEY, 13);
        assertThat(index.removeAll(b, new long[] {1}, 1, ALL, null)).isZero();
        assertThat(index.removeAll(42, new long[] {1}, 1, ALL, removed)).isZero();
        assertThat(index.keyOf(a, 1)).isEqualTo(11);
        assertThatThrownBy(() -> index.putAll(a, new long[] {5, 6}, new long[] {15, 0}, 2, GPU))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(index.keyOf(a, 5)).as("validated before any change").isEqualTo(PrefixIndex.NO_KEY);
    }

    @Test
    void shouldLetTheWriterBatchUnderItsOwnLock() {
        index.writeLock().lock();
        try {
            index.put(a, 1, 11, GPU);
            assertThat(index.keyOf(a, 1)).isEqualTo(11);
            assertThat(match(new long[] {11}, a)[0]).containsExactly(1);
        } finally {
            index.writeLock().unlock();
        }
        assertThat(index.entryCount()).isEqualTo(1);
    }

    @Test
    void shouldAddTiersOnlyToBlocksTheWorkerHolds() {
        index.put(a, 100, 1000, GPU);

        assertThat(index.addTiers(a, 100, CPU)).isTrue();
        assertThat(index.addTiers(a, 999, CPU)).isFalse();
        assertThat(index.addTiers(b, 100, CPU)).as("another worker's hash").isFalse();
        assertThat(index.tiersOf(a, 100)).isEqualTo(GPU | CPU);
        assertThat(index.blockCount(b)).isZero();
    }

    @Test
    void shouldIsolateWorkersOnRemoveAndPurge() {
        for (int i = 0; i < 100; i++) {
            index.put(a, i, 5000 + i, GPU);
            index.put(b, i, 5000 + i, GPU); // same hashes and keys on both
        }
        index.put(b, 1000, 9000, CPU);

        assertThat(index.remove(a, 3, ALL)).isEqualTo(5003);
        assertThat(index.keyOf(b, 3)).isEqualTo(5003);
        assertThat(index.entryCount()).isEqualTo(200);

        assertThat(index.purge(a)).isEqualTo(99);
        assertThat(index.blockCount(a)).isZero();
        assertThat(index.blockCount(b)).isEqualTo(101);
        assertThat(index.entryCount()).isEqualTo(101);
        assertThat(match(new long[] {5000, 5001, 5002, 5003}, a, b)[0]).containsExactly(0, 4);
        assertThat(index.purge(a)).isZero();
        assertThat(index.purge(99)).as("unknown worker").isZero();
    }

    @Test
    void shouldShareKeysAcrossManyWorkers() {
        int[] ids = new int[150];
        for (int w = 0; w < ids.length; w++) {
            ids[w] = index.workerId("ns/svc/shared-" + w + "#0");
            index.put(ids[w], 77, 7777, w % 3 == 0 ? CPU : GPU); // one system prompt block on everyone
        }
        assertThat(index.entryCount()).isEqualTo(150);
        assertThat(index.keyCount()).isEqualTo(1);
        int[][] m = match(new long[] {7777}, ids);
        for (int w = 0; w < ids.length; w++) {
            assertThat(m[0][w]).isEqualTo(1);
            assertThat(m[1][w]).isEqualTo(w % 3 == 0 ? 0 : 1);
        }
        index.remove(ids[10], 77, ALL);
        assertThat(index.entryCount()).isEqualTo(149);
        assertThat(match(new long[] {7777}, ids[10], ids[11])[0]).containsExactly(0, 1);
    }

    /** Holders go inline → LIST → BITSET (and wider) and back; every step must keep exact holders and tiers. */
    @Test
    void shouldKeepHoldersExactAcrossEveryHolderSetSize() {
        int[] ids = new int[200];
        for (int w = 0; w < ids.length; w++) {
            ids[w] = index.workerId("w" + w);
        }
        int[] order = new Random(3).ints(0, 200).distinct().limit(200).toArray();
        for (int n = 0; n < order.length; n++) {
            index.put(ids[order[n]], 1, 42, (n & 1) == 0 ? GPU : CPU | STORAGE);
            assertHolders(ids, order, n + 1);
        }
        for (int n = order.length; n > 0; n--) {
            index.remove(ids[order[n - 1]], 1, ALL);
            assertHolders(ids, order, n - 1);
        }
        assertThat(index.keyCount()).isZero();
    }

    private void assertHolders(int[] ids, int[] order, int held) {
        int[][] m = match(new long[] {42}, ids);
        boolean[] holds = new boolean[ids.length];
        for (int i = 0; i < held; i++) {
            holds[order[i]] = true;
        }
        for (int i = 0; i < held; i++) {
            assertThat(m[1][order[i]]).as("gpu of %d with %d holders", order[i], held).isEqualTo((i & 1) == 0 ? 1 : 0);
        }
        for (int w = 0; w < ids.length; w++) {
            assertThat(m[0][w]).as("worker %d with %d holders", w, held).isEqualTo(holds[w] ? 1 : 0);
        }
        assertThat(index.entryCount()).isEqualTo(held);
    }

    @Test
    void shouldDropTheOldEntryWhenAnEngineHashIsRemapped() {
        index.put(a, 100, 1000, GPU | CPU);
        index.put(a, 100, 2000, CPU);

        assertThat(index.keyOf(a, 100)).isEqualTo(2000);
        assertThat(index.tiersOf(a, 100)).as("tiers start over with the new key").isEqualTo(CPU);
        assertThat(index.entryCount()).isEqualTo(1);
        assertThat(match(new long[] {1000}, a)[0]).containsExactly(0);
        assertThat(match(new long[] {2000}, a)[0]).containsExactly(1);
    }

    /** Two engine hashes of one worker with one block key (vLLM hashed a cache salt we do not): one entry. */
    @Test
    void shouldKeepAnEntryWhileAnyAliasingEngineHashHoldsIt() {
        index.put(a, 100, 1000, GPU);
        index.put(a, 200, 1000, CPU);
        assertThat(index.entryCount()).isEqualTo(1);
        assertThat(index.blockCount(a)).isEqualTo(2);
        assertThat(match(new long[] {1000}, a)[1]).containsExactly(1);

        index.remove(a, 100, ALL);
        assertThat(match(new long[] {1000}, a)[0]).containsExactly(1);
        assertThat(match(new long[] {1000}, a)[1]).as("only the CPU alias is left").containsExactly(0);
        index.addTiers(a, 200, GPU);
        assertThat(match(new long[] {1000}, a)[1]).containsExactly(1);
        index.remove(a, 200, GPU | CPU);
        assertThat(index.entryCount()).isZero();
    }

    @Test
    void shouldMatchTheLongestPrefixPerCandidate() {
        long[] chain = {11, 12, 13, 14, 15};
        for (int i = 0; i < 5; i++) {
            index.put(a, i, chain[i], GPU);
        }
        index.put(b, 0, 11, GPU);
        index.put(b, 1, 12, CPU);
        index.put(b, 3, 14, GPU); // b misses 13: its prefix ends at 2 even though it holds 14
        int c = index.workerId("ns/svc/pod-c#0"); // known, holds nothing

        int[][] m = match(chain, a, b, c, -1, 99, b);

        assertThat(m[0]).containsExactly(5, 2, 0, 0, 0, 2);
        assertThat(m[1]).containsExactly(5, 1, 0, 0, 0, 1);
        assertThat(m[2][0]).isEqualTo(5);
    }

    @Test
    void shouldStopAtTheFirstKeyNoCandidateHolds() {
        index.put(a, 0, 11, GPU);
        index.put(a, 2, 13, GPU); // after the gap: must not count
        int[][] m = match(new long[] {11, 12, 13}, a, b);
        assertThat(m[0]).containsExactly(1, 0);
        assertThat(m[2][0]).isEqualTo(1);
        assertThat(match(new long[] {99, 11}, a)[2][0]).isZero();
        assertThat(match(new long[] {}, a)[0]).containsExactly(0);
        assertThat(match(new long[] {11}, -1)[2][0]).isZero();
    }

    @Test
    void shouldHonourTheGivenLengths() {
        index.put(a, 0, 11, GPU);
        index.put(a, 1, 12, GPU);
        int[] matched = {-5, -5};
        int[] gpu = {-5, -5};
        assertThat(index.match(new long[] {11, 12, 13}, 1, new int[] {a, b}, 1, matched, gpu)).isEqualTo(1);
        assertThat(matched).containsExactly(1, -5);
        assertThatThrownBy(() -> index.match(new long[1], 2, new int[] {a}, 1, matched, gpu))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectInvalidPuts() {
        assertThatThrownBy(() -> index.put(a, 1, PrefixIndex.NO_KEY, GPU)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.put(a, 1, 5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.put(a, 1, 5, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.put(9, 1, 5, GPU)).isInstanceOf(IllegalArgumentException.class);
        assertThat(index.entryCount()).isZero();
    }

    @Test
    void shouldClearEntriesButKeepWorkerIds() {
        index.put(a, 1, 5, GPU);
        index.put(b, 1, 5, GPU);
        index.clear();
        assertThat(index.entryCount()).isZero();
        assertThat(index.keyOf(a, 1)).isEqualTo(PrefixIndex.NO_KEY);
        assertThat(index.findWorker("ns/svc/pod-b#0")).isEqualTo(b);
        index.put(b, 1, 5, GPU);
        assertThat(match(new long[] {5}, a, b)[0]).containsExactly(0, 1);
    }

    @Test
    void shouldNameTiers() {
        assertThat(Tier.of(null)).isEqualTo(GPU);
        assertThat(Tier.of("GPU")).isEqualTo(GPU);
        assertThat(Tier.of("cpu")).isEqualTo(CPU);
        assertThat(Tier.of("STORAGE")).isEqualTo(STORAGE);
        assertThat(Tier.of("disk")).isEqualTo(STORAGE);
        assertThat(Tier.of("lmcache")).as("unknown media are not taken for memory").isEqualTo(STORAGE);
        assertThat(Tier.known("lmcache")).isFalse();
        assertThat(Tier.known("storage")).isTrue();
        assertThat(Tier.names(GPU | STORAGE)).isEqualTo("GPU,STORAGE");
        assertThat(Tier.names(CPU | REMOTE)).isEqualTo("CPU,REMOTE");
        assertThat(Tier.names(0)).isEmpty();
    }

    /** GPU ⊆ memory (GPU or CPU) ⊆ any tier: three nested prefixes, so the cost can price each tier. */
    @Test
    void shouldMatchStorageAsItsOwnTier() {
        index.put(a, 1, 11, GPU);
        index.put(a, 2, 12, CPU | STORAGE);
        index.put(a, 3, 13, STORAGE);
        index.put(a, 4, 14, GPU);
        index.put(b, 1, 11, STORAGE);
        index.put(b, 2, 12, GPU);
        int[] matched = new int[2];
        int[] gpu = new int[2];
        int[] memory = new int[2];

        int best = index.match(new long[] {11, 12, 13, 14}, 4, new int[] {a, b}, 2, matched, gpu, memory);

        assertThat(best).isEqualTo(4);
        assertThat(matched).containsExactly(4, 2);
        assertThat(memory).containsExactly(2, 0);
        assertThat(gpu).containsExactly(1, 0);
        assertThat(match(new long[] {11, 12, 13, 14}, a, b)[0]).as("without the memory array").containsExactly(4, 2);
    }

    /** REMOTE: the engine hash maps to a key (a later block chains from it) but the worker holds nothing. */
    @Test
    void shouldKeepRemoteBlocksForChainingOnly() {
        index.put(a, 100, 1000, REMOTE);

        assertThat(index.keyOf(a, 100)).isEqualTo(1000);
        assertThat(index.tiersOf(a, 100)).isEqualTo(REMOTE);
        assertThat(index.blockCount(a)).isZero();
        assertThat(index.entryCount()).isZero();
        assertThat(index.keyCount()).isZero();
        assertThat(entries(a)).isEmpty();
        assertThat(index.workers()).doesNotContain("ns/svc/pod-a#0");
        assertThat(match(new long[] {1000}, a)[0]).containsExactly(0);
        assertThat(index.remove(a, 100, GPU)).as("not held locally").isEqualTo(PrefixIndex.NO_KEY);
        assertThat(index.keyOf(a, 100)).isEqualTo(1000);

        // The pod later holds it too (pulled in, or stored locally): held on GPU, still REMOTE.
        index.put(a, 100, 1000, GPU);
        assertThat(match(new long[] {1000}, a)[1]).containsExactly(1);
        assertThat(index.blockCount(a)).isEqualTo(1);
        assertThat(entries(a).get(100L)).containsExactly(1000, GPU);
        assertThat(index.remove(a, 100, REMOTE)).isEqualTo(1000);
        assertThat(index.tiersOf(a, 100)).isEqualTo(GPU);
        assertThat(index.remove(a, 100, REMOTE)).as("no longer REMOTE").isEqualTo(PrefixIndex.NO_KEY);

        index.put(a, 100, 1000, REMOTE);
        assertThat(index.remove(a, 100, GPU)).isEqualTo(1000);
        assertThat(index.blockCount(a)).isZero();
        assertThat(index.entryCount()).isZero();
        assertThat(index.keyOf(a, 100)).as("the REMOTE mapping stays").isEqualTo(1000);
        assertThat(index.purge(a)).as("a purge counts held blocks").isZero();
        assertThat(index.keyOf(a, 100)).isEqualTo(PrefixIndex.NO_KEY);
    }

    @Test
    void shouldAgreeWithANaiveModelAfterRandomOperations() {
        int mostHolders = new ModelCheck(index, new Random(20250917), 130).run(60_000);
        assertThat(mostHolders).as("holder sets reached the BITSET format").isGreaterThan(HolderPool.LIST_MAX * 4);
    }

    @Test
    void shouldAgreeWithANaiveModelUnderHeavyAliasing() {
        assertThat(new ModelCheck(new PrefixIndex(16), new Random(99), 12).withKeySpace(6).run(30_000)).isPositive();
    }

    @Test
    void shouldServeReadersWhileOneThreadWrites() throws Exception {
        int[] ids = new int[64];
        for (int w = 0; w < ids.length; w++) {
            ids[w] = index.workerId("w" + w);
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Long>> futures = new ArrayList<>();
            futures.add(pool.submit(() -> {
                Random rnd = new Random(1);
                long ops = 0;
                while (!stop.get()) {
                    int w = ids[rnd.nextInt(64)];
                    if (rnd.nextInt(5000) == 0) {
                        index.purge(w);
                    } else if (rnd.nextBoolean()) {
                        index.put(w, rnd.nextInt(4096), 1 + rnd.nextInt(512), 1 + rnd.nextInt(7));
                    } else {
                        index.remove(w, rnd.nextInt(4096), 1 + rnd.nextInt(7));
                    }
                    ops++;
                }
                return ops;
            }));
            for (int r = 0; r < 2; r++) {
                futures.add(pool.submit(() -> {
                    long[] chain = new Random(2).longs(256, 1, 513).toArray();
                    int[] matched = new int[64];
                    int[] gpu = new int[64];
                    long reads = 0;
                    while (!stop.get()) {
                        int best = index.match(chain, chain.length, ids, ids.length, matched, gpu);
                        for (int i = 0; i < ids.length; i++) {
                            assertThat(gpu[i]).isLessThanOrEqualTo(matched[i]).isLessThanOrEqualTo(best);
                        }
                        index.keyOf(ids[(int) (reads & 63)], reads & 4095);
                        index.workers();
                        index.forEach(ids[(int) (reads & 63)], (h, k, t) -> assertThat(k).isNotZero());
                        reads++;
                    }
                    return reads;
                }));
            }
            Thread.sleep(1000);
            stop.set(true);
            for (Future<Long> f : futures) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isPositive();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
