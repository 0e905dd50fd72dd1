package io.kvrelay.stream.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Random operations applied to a {@link PrefixIndex} and to a naive model (per worker: engine hash → (key, bits);
 * a (key, worker) entry exists while any of the worker's hashes maps to the key with a local tier, with the union of
 * their local tiers; {@link Tier#REMOTE} keeps only the hash → key mapping), then everything compared: every entry,
 * counts, and match results (any tier, memory, GPU) computed per candidate by brute force.
 */
final class ModelCheck {
    private final PrefixIndex index;
    private final Random rnd;
    private final int[] ids;
    private final List<Map<Long, long[]>> model = new ArrayList<>();
    private int keySpace = 400;
    private int hashSpace = 300;

    ModelCheck(PrefixIndex index, Random rnd, int workers) {
        this.index = index;
        this.rnd = rnd;
        this.ids = new int[workers];
        for (int w = 0; w < workers; w++) {
            ids[w] = index.workerId("model/w" + w);
            model.add(new HashMap<>());
        }
    }

    /** Fewer distinct keys than hashes: most puts alias or remap. */
    ModelCheck withKeySpace(int keys) {
        keySpace = keys;
        hashSpace = keys * 3;
        return this;
    }

    /** Runs the operations, comparing along the way; returns the most holders any key had at a comparison. */
    int run(int ops) {
        int most = 0;
        for (int op = 1; op <= ops; op++) {
            step();
            if (op % 5000 == 0) {
                most = Math.max(most, compare());
            }
        }
        return Math.max(most, compare());
    }

    private void step() {
        int w = rnd.nextInt(ids.length);
        // Skewed keys: low keys are held by many workers, so holder sets reach LIST and BITSET sizes.
        long key = 1 + Math.min(rnd.nextInt(keySpace), rnd.nextInt(keySpace));
        long hash = rnd.nextInt(hashSpace) - 1; // includes -1 and 0
        int tiers = 1 + rnd.nextInt(Tier.ALL | Tier.REMOTE);
        Map<Long, long[]> m = model.get(w);
        int r = rnd.nextInt(100);
        if (r < 55) {
            index.put(ids[w], hash, key, tiers);
            long[] e = m.get(hash);
            if (e == null || e[0] != key) {
                m.put(hash, new long[] {key, tiers});
            } else {
                e[1] |= tiers;
            }
        } else if (r < 65) {
            long[] e = m.get(hash);
            assertThat(index.addTiers(ids[w], hash, tiers)).isEqualTo(e != null);
            if (e != null) {
                e[1] |= tiers;
            }
        } else if (r < 70) {
            putAll(w, tiers);
        } else if (r < 75) {
            removeAll(w, tiers);
        } else if (r < 99) {
            long[] e = removable(m.get(hash), tiers);
            assertThat(index.remove(ids[w], hash, tiers)).isEqualTo(e == null ? PrefixIndex.NO_KEY : e[0]);
            if (e != null && (e[1] &= ~tiers) == 0) {
                m.remove(hash);
            }
        } else {
            assertThat(index.purge(ids[w])).isEqualTo(held(m));
            m.clear();
        }
    }

    /** The entry, if a removal of these bits concerns it: local tiers need a local entry, REMOTE a REMOTE one. */
    private static long[] removable(long[] e, int tiers) {
        int kinds = ((tiers & Tier.ALL) != 0 ? Tier.ALL : 0) | (tiers & Tier.REMOTE);
        return e != null && (e[1] & kinds) != 0 ? e : null;
    }

    private static int held(Map<Long, long[]> m) {
        int n = 0;
        for (long[] e : m.values()) {
            n += (e[1] & Tier.ALL) != 0 ? 1 : 0;
        }
        return n;
    }

    private void putAll(int w, int tiers) {
        int n = rnd.nextInt(6);
        long[] hashes = new long[n + 1];
        long[] keys = new long[n + 1];
        for (int i = 0; i < n; i++) {
            hashes[i] = rnd.nextInt(hashSpace) - 1;
            keys[i] = 1 + Math.min(rnd.nextInt(keySpace), rnd.nextInt(keySpace));
        }
        index.putAll(ids[w], hashes, keys, n, tiers);
        for (int i = 0; i < n; i++) {
            long[] e = model.get(w).get(hashes[i]);
            if (e == null || e[0] != keys[i]) {
                model.get(w).put(hashes[i], new long[] {keys[i], tiers});
            } else {
                e[1] |= tiers;
            }
        }
    }

    private void removeAll(int w, int tiers) {
        int n = rnd.nextInt(6);
        long[] hashes = new long[n];
        for (int i = 0; i < n; i++) {
            hashes[i] = rnd.nextInt(hashSpace) - 1;
        }
        long[] removed = new long[n];
        int held = index.removeAll(ids[w], hashes, n, tiers, removed);
        int expectedHeld = 0;
        for (int i = 0; i < n; i++) {
            long[] e = removable(model.get(w).get(hashes[i]), tiers);
            assertThat(removed[i]).isEqualTo(e == null ? PrefixIndex.NO_KEY : e[0]);
            if (e != null) {
                expectedHeld++;
                if ((e[1] &= ~tiers) == 0) {
                    model.get(w).remove(hashes[i]);
                }
            }
        }
        assertThat(held).isEqualTo(expectedHeld);
    }

    /** Worker → tiers for one key, from the model. */
    private Map<Integer, Integer> holders(long key) {
        Map<Integer, Integer> out = new HashMap<>();
        for (int w = 0; w < ids.length; w++) {
            for (long[] e : model.get(w).values()) {
                if (e[0] == key && (e[1] & Tier.ALL) != 0) {
                    out.merge(w, (int) e[1] & Tier.ALL, (x, y) -> x | y);
                }
            }
        }
        return out;
    }

    private int compare() {
        long entries = 0;
        Map<Long, Integer> holderCounts = new HashMap<>();
        Set<Long> keys = new HashSet<>();
        for (int w = 0; w < ids.length; w++) {
            Map<Long, long[]> m = model.get(w);
            Map<Long, long[]> actual = new HashMap<>();
            index.forEach(ids[w], (h, k, t) -> actual.put(h, new long[] {k, t}));
            assertThat(actual).hasSize(held(m));
            Set<Long> distinct = new HashSet<>();
            for (Map.Entry<Long, long[]> e : m.entrySet()) {
                long[] v = e.getValue();
                assertThat(index.keyOf(ids[w], e.getKey())).as("chaining sees REMOTE too").isEqualTo(v[0]);
                assertThat(index.tiersOf(ids[w], e.getKey())).isEqualTo((int) v[1]);
                if ((v[1] & Tier.ALL) == 0) {
                    assertThat(actual).doesNotContainKey(e.getKey());
                    continue;
                }
                assertThat(actual.get(e.getKey())).as("worker %d hash %d", w, e.getKey())
                        .containsExactly(v[0], v[1] & Tier.ALL);
                distinct.add(v[0]);
            }
            assertThat(index.blockCount(ids[w])).isEqualTo(held(m));
            entries += distinct.size();
            keys.addAll(distinct);
            distinct.forEach(k -> holderCounts.merge(k, 1, Integer::sum));
        }
        assertThat(index.entryCount()).isEqualTo(entries);
        assertThat(index.keyCount()).isEqualTo(keys.size());
        for (int q = 0; q < 40; q++) {
            compareMatch();
        }
        return holderCounts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private void compareMatch() {
        // A chain made of one worker's keys (so prefixes are long), then random keys; random candidates.
        List<Long> chain = new ArrayList<>();
        model.get(rnd.nextInt(ids.length)).values().forEach(e -> chain.add(e[0]));
        java.util.Collections.shuffle(chain, rnd);
        for (int i = rnd.nextInt(4); i > 0; i--) {
            chain.add(1L + rnd.nextInt(keySpace));
        }
        long[] keys = chain.stream().distinct().mapToLong(Long::longValue).toArray();
        int n = 1 + rnd.nextInt(ids.length + 3);
        int[] candidates = new int[n];
        for (int i = 0; i < n; i++) {
            int pick = rnd.nextInt(ids.length + 2);
            candidates[i] = pick < ids.length ? ids[pick] : pick == ids.length ? -1 : 1 << 20;
        }
        int[] matched = new int[n];
        int[] gpu = new int[n];
        int[] memory = new int[n];
        int best = index.match(keys, keys.length, candidates, n, matched, gpu, memory);

        List<Map<Integer, Integer>> holders = new ArrayList<>();
        for (long k : keys) {
            holders.add(holders(k));
        }
        int expectedBest = 0;
        for (int i = 0; i < n; i++) {
            int w = indexOf(candidates[i]);
            int any = 0;
            while (w >= 0 && any < keys.length && holders.get(any).getOrDefault(w, 0) != 0) {
                any++;
            }
            int onGpu = 0;
            while (w >= 0 && onGpu < keys.length && (holders.get(onGpu).getOrDefault(w, 0) & Tier.GPU) != 0) {
                onGpu++;
            }
            int inMemory = 0;
            while (w >= 0 && inMemory < keys.length
                    && (holders.get(inMemory).getOrDefault(w, 0) & (Tier.GPU | Tier.CPU)) != 0) {
                inMemory++;
            }
            assertThat(matched[i]).as("candidate %d any", candidates[i]).isEqualTo(any);
            assertThat(gpu[i]).as("candidate %d gpu", candidates[i]).isEqualTo(onGpu);
            assertThat(memory[i]).as("candidate %d memory", candidates[i]).isEqualTo(inMemory);
            expectedBest = Math.max(expectedBest, any);
        }
        assertThat(best).isEqualTo(expectedBest);
    }

    private int indexOf(int id) {
        for (int w = 0; w < ids.length; w++) {
            if (ids[w] == id) {
                return w;
            }
        }
        return -1;
    }
}
