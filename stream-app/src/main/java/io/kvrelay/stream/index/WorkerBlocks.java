package io.kvrelay.stream.index;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;

/**
 * One worker's side of the index: engine hash → (block key, tiers), the map that {@code BlockRemoved} (engine hashes
 * only) and parent chaining need, and the reverse index that makes a purge cost only this worker's entries.
 *
 * <p>Several engine hashes of one worker can map to the same block key, because vLLM hashes inputs our keys leave out
 * (a cache salt, multimodal hashes). The (key, worker) entry then stays while any of them does, with the union of
 * their tiers; for those keys only, {@link #aliases} counts the engine hashes per tier.
 *
 * <p>Not thread-safe; owned by {@link PrefixIndex}.
 */
final class WorkerBlocks {
    private static final int INITIAL = 64;
    private static final long FIELD = 0xFFFFL;

    final String key;
    private LongPairTable blocks = new LongPairTable(INITIAL, true);
    /** Block key → packed counts {total, gpu, cpu, other} × 16 bits, only for keys with ≥ 2 engine hashes. */
    private Long2LongOpenHashMap aliases;

    WorkerBlocks(String key) {
        this.key = key;
    }

    LongPairTable blocks() {
        return blocks;
    }

    /** A new engine hash of worker {@code id} maps to {@code key} with {@code tiers}. */
    void attach(KeyHolders holders, int id, long key, int tiers) {
        int prev = holders.put(key, id, tiers);
        if (prev == 0) {
            return;
        }
        long counts = aliasCounts(key);
        if (counts == 0L) {
            counts = add(0L, prev, 1); // the one engine hash that held the key so far
        }
        counts = add(counts, tiers, 1);
        if (aliases == null) {
            aliases = new Long2LongOpenHashMap(4);
        }
        aliases.put(key, counts);
        holders.put(key, id, tiersOf(counts));
    }

    /** An engine hash of worker {@code id} that mapped to {@code key} with {@code tiers} is gone. */
    void detach(KeyHolders holders, int id, long key, int tiers) {
        long counts = aliasCounts(key);
        if (counts == 0L) {
            holders.remove(key, id);
            return;
        }
        counts = add(counts, tiers, -1);
        if ((counts & FIELD) == 1L) {
            aliases.remove(key);
        } else {
            aliases.put(key, counts);
        }
        holders.put(key, id, tiersOf(counts));
    }

    /** An engine hash of worker {@code id} mapping to {@code key} changed tiers (both non-zero). */
    void retier(KeyHolders holders, int id, long key, int oldTiers, int newTiers) {
        long counts = aliasCounts(key);
        if (counts == 0L) {
            holders.put(key, id, newTiers);
            return;
        }
        counts = add(add(counts, oldTiers, -1), newTiers, 1);
        aliases.put(key, counts);
        holders.put(key, id, tiersOf(counts));
    }

    private long aliasCounts(long key) {
        return aliases == null ? 0L : aliases.get(key);
    }

    /** Adds delta engine hashes with these tiers to the packed counts. */
    private static long add(long counts, int tiers, int delta) {
        if (delta > 0 && ((counts & FIELD) == FIELD)) {
            throw new IllegalStateException("more than 65535 engine hashes of one worker map to one block key");
        }
        long unit = 1L
                | ((tiers & Tier.GPU) != 0 ? 1L << 16 : 0L)
                | ((tiers & Tier.CPU) != 0 ? 1L << 32 : 0L)
                | ((tiers & Tier.OTHER) != 0 ? 1L << 48 : 0L);
        return counts + delta * unit;
    }

    private static int tiersOf(long counts) {
        return (((counts >>> 16) & FIELD) != 0 ? Tier.GPU : 0)
                | (((counts >>> 32) & FIELD) != 0 ? Tier.CPU : 0)
                | (((counts >>> 48) & FIELD) != 0 ? Tier.OTHER : 0);
    }

    /** Forgets every entry (the caller has removed them from the key side) and returns the memory. */
    void reset() {
        blocks = new LongPairTable(INITIAL, true);
        aliases = null;
    }

    long bytes() {
        return blocks.bytes() + 64L + (aliases == null ? 0L : 16L * aliases.size() * 2 + 64L);
    }
}
