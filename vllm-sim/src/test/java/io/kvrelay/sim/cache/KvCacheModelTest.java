package io.kvrelay.sim.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.wire.SimEvent;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KvCacheModelTest {
    private static final int BS = 4;

    private final BlockHasher hasher = new BlockHasher(7);

    @Test
    void newPromptStoresItsFullBlocksChainedFromNoParent() {
        KvCacheModel cache = new KvCacheModel(16, BS, hasher);

        ServeResult r = cache.serve(tokens(0, 10), null); // 2 full blocks, 2 tokens left over

        assertThat(r.promptBlocks()).isEqualTo(2);
        assertThat(r.events()).hasSize(1);
        SimEvent.Stored s = (SimEvent.Stored) r.events().get(0);
        assertThat(s.parent()).isNull();
        assertThat(s.tokenIds()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(s.blockSize()).isEqualTo(BS);
        assertThat(s.medium()).isEqualTo("GPU");
        long b0 = hasher.hash(hasher.root(), tokens(0, 10), 0, 4, null);
        long b1 = hasher.hash(b0, tokens(0, 10), 4, 8, null);
        assertThat(s.hashes()).containsExactly(b0, b1);
        assertThat(cache.contents().get(b1)).isEqualTo(new CachedBlock(b1, b0, new int[] {4, 5, 6, 7}, null));
    }

    @Test
    void sharedPrefixIsTouchedNotStoredAgainAndNewBlocksChainFromIt() {
        KvCacheModel cache = new KvCacheModel(16, BS, hasher);
        SimEvent.Stored first = (SimEvent.Stored) cache.serve(tokens(0, 8), null).events().get(0);

        ServeResult r = cache.serve(tokens(0, 16), null);

        assertThat(r.hitBlocks()).isEqualTo(2);
        assertThat(r.storedBlocks()).isEqualTo(2);
        SimEvent.Stored s = (SimEvent.Stored) r.events().get(0);
        assertThat(s.parent()).isEqualTo(first.hashes()[1]);
        assertThat(s.tokenIds()).containsExactly(8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(cache.serve(tokens(0, 16), null).events()).as("full hit publishes nothing").isEmpty();
    }

    @Test
    void evictsLeastRecentlyUsedLeavesFirst() {
        KvCacheModel cache = new KvCacheModel(4, BS, hasher);
        long[] a = stored(cache.serve(tokens(0, 8), null));
        long[] b = stored(cache.serve(tokens(100, 108), null));
        cache.serve(tokens(0, 8), null); // A becomes most recently used

        ServeResult r = cache.serve(tokens(200, 208), null);

        assertThat(r.events()).hasSize(2);
        SimEvent.Removed removed = (SimEvent.Removed) r.events().get(0);
        // B's leaf goes before its root: a cached block's parent is always cached.
        assertThat(removed.hashes()).containsExactly(b[1], b[0]);
        assertThat(r.events().get(1)).isInstanceOf(SimEvent.Stored.class);
        assertThat(cache.contents()).containsKeys(a[0], a[1]).doesNotContainKeys(b[0], b[1]);
        assertThat(cache.lruOrder()).containsExactly(a[1], a[0], stored(r)[1], stored(r)[0]);
    }

    @Test
    void partialEvictionOfAPrefixKeepsItsRoot() {
        KvCacheModel cache = new KvCacheModel(4, BS, hasher);
        long[] a = stored(cache.serve(tokens(0, 12), null));

        ServeResult r = cache.serve(tokens(50, 58), null);

        assertThat(((SimEvent.Removed) r.events().get(0)).hashes()).containsExactly(a[2]);
        assertThat(cache.contents()).containsKeys(a[0], a[1]);
    }

    @Test
    void promptLongerThanTheCacheCachesOnlyWhatFits() {
        KvCacheModel cache = new KvCacheModel(3, BS, hasher);
        ServeResult r = cache.serve(tokens(0, 40), null);
        assertThat(r.promptBlocks()).isEqualTo(3);
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void loraPrefixesNeverMixWithTheBaseModel() {
        KvCacheModel cache = new KvCacheModel(16, BS, hasher);
        long[] base = stored(cache.serve(tokens(0, 8), null));

        ServeResult r = cache.serve(tokens(0, 8), "sql-adapter");

        assertThat(r.hitBlocks()).isZero();
        SimEvent.Stored s = (SimEvent.Stored) r.events().get(0);
        assertThat(s.hashes()).doesNotContain(base);
        assertThat(s.loraName()).isEqualTo("sql-adapter");
        assertThat(s.loraId()).isEqualTo(KvCacheModel.loraId("sql-adapter"));
        assertThat(s.extraKeys()).isEqualTo(List.of(List.of("sql-adapter"), List.of("sql-adapter")));
        assertThat(cache.serve(tokens(0, 8), "other").hitBlocks()).isZero();
        assertThat(cache.serve(tokens(0, 8), "sql-adapter").hitBlocks()).isEqualTo(2);
    }

    @Test
    void clearEmitsAllBlocksClearedAndResetEmitsNothing() {
        KvCacheModel cache = new KvCacheModel(16, BS, hasher);
        cache.serve(tokens(0, 8), null);
        assertThat(cache.clear()).containsExactly(new SimEvent.Cleared());
        assertThat(cache.size()).isZero();
        cache.serve(tokens(0, 8), null);
        cache.reset();
        assertThat(cache.contents()).isEmpty();
        assertThat(cache.size()).isZero();
    }

    @Test
    void replayingTheEmittedEventsReproducesContents() {
        KvCacheModel cache = new KvCacheModel(64, BS, hasher);
        BlockSetMirror mirror = new BlockSetMirror();
        WorkloadGenerator workload = new WorkloadGenerator(
                WorkloadGenerator.Settings.defaults().withLoras(List.of("a", "b"), 0.3), 11);
        for (int i = 0; i < 2_000; i++) {
            WorkloadGenerator.Request req = workload.next();
            mirror.apply(cache.serve(req.tokens(), req.lora()).events());
            if (i % 500 == 499) {
                mirror.apply(cache.evictLru(5));
            }
            if (i == 1_000) {
                mirror.apply(cache.clear());
            }
            Map<Long, CachedBlock> truth = cache.contents();
            assertThat(truth.size()).isLessThanOrEqualTo(64);
            if (i % 100 == 0) {
                assertThat(mirror.blocks()).isEqualTo(truth);
                truth.values().forEach(b -> assertThat(b.parent() == null || truth.containsKey(b.parent()))
                        .as("parent of %s cached", b).isTrue());
            }
        }
        assertThat(mirror.blocks()).isEqualTo(cache.contents());
    }

    @Test
    void hashesAreDeterministicPerSeedAndDifferAcrossSeeds() {
        int[] t = tokens(0, 16);
        assertThat(stored(new KvCacheModel(8, BS, new BlockHasher(1)).serve(t, null)))
                .containsExactly(stored(new KvCacheModel(8, BS, new BlockHasher(1)).serve(t, null)));
        assertThat(stored(new KvCacheModel(8, BS, new BlockHasher(1)).serve(t, null))[0])
                .isNotEqualTo(stored(new KvCacheModel(8, BS, new BlockHasher(2)).serve(t, null))[0]);
    }

    private static long[] stored(ServeResult r) {
        return r.events().stream().filter(e -> e instanceof SimEvent.Stored).map(e -> ((SimEvent.Stored) e).hashes())
                .findFirst().orElseThrow();
    }

    private static int[] tokens(int from, int to) {
        return IntStream.range(from, to).toArray();
    }
}
