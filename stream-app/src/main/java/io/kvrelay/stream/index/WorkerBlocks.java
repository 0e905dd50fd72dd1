package io.kvrelay.stream.index;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;

/**
 * One worker's side of the index: engine hash → (block key, tiers), the map that {@code BlockRemoved} (engine hashes
 * only) and parent chaining need, and the reverse index that makes a purge cost only this worker's entries. Its
 * mutators keep the key side ({@link KeyHolders}) in step.
 *
 * <p>Several engine hashes of one worker can map to the same block key, because vLLM hashes inputs our keys leave out
 * (a cache salt, multimodal hashes). The (key, worker) entry then stays while any of them does, with the union of
 * their tiers; for those keys only, {@link #aliases} counts the engine hashes per tier.
 *
 * <p>Not thread-safe; owned by {@link PrefixIndex}, which calls it under its lock.
 */
final class WorkerBlocks {
    private static final int INITIAL = 64;
    private static final long FIELD = 0xFFFFL;

    final String key;
    final int id;
    private LongPairTable blocks = new LongPairTable(INITIAL, true);
    /** Block key → packed counts {total, gpu, cpu, other} × 16 bits, only for keys with ≥ 2 engine hashes. */
    private Long2LongOpenHashMap aliases;
    /** Where batch probes leave their loads, so that the JIT keeps them (see {@link LongPairTable#touch}). */
    private long sink;

    WorkerBlocks(String key, int id) {
        this.key = key;
        this.id = id;
    }

    int size() {
        return blocks.size();
    }

    long keyOf(long engineHash) {
        int slot = blocks.find(engineHash);
        return slot < 0 ? PrefixIndex.NO_KEY : blocks.value(slot);
    }

    int tiersOf(long engineHash) {
        int slot = blocks.find(engineHash);
        return slot < 0 ? 0 : blocks.aux(slot);
    }

    void put(KeyHolders holders, long engineHash, long blockKey, int tiers) {
        int slot = blocks.findOrInsert(engineHash);
        if (slot < 0) {
            blocks.setValue(~slot, blockKey);
            blocks.setAux(~slot, tiers);
            attach(holders, blockKey, tiers);
            return;
        }
        long oldKey = blocks.value(slot);
        int oldTiers = blocks.aux(slot);
        if (oldKey == blockKey) {
            if ((oldTiers | tiers) != oldTiers) {
                blocks.setAux(slot, oldTiers | tiers);
                retier(holders, blockKey, oldTiers, oldTiers | tiers);
            }
            return;
        }
        blocks.setValue(slot, blockKey);
        blocks.setAux(slot, tiers);
        detach(holders, oldKey, oldTiers);
        attach(holders, blockKey, tiers);
    }

    /** Puts n blocks, touching every slot they will probe first so that the cache misses overlap. */
    void putAll(KeyHolders holders, long[] engineHashes, long[] blockKeys, int n, int tiers) {
        long touched = 0L;
        for (int i = 0; i < n; i++) {
            touched += blocks.touch(engineHashes[i]) + holders.touch(blockKeys[i]);
        }
        sink = touched;
        for (int i = 0; i < n; i++) {
            put(holders, engineHashes[i], blockKeys[i], tiers);
        }
    }

    boolean addTiers(KeyHolders holders, long engineHash, int tiers) {
        int slot = blocks.find(engineHash);
        if (slot < 0) {
            return false;
        }
        int old = blocks.aux(slot);
        if ((old | tiers) != old) {
            blocks.setAux(slot, old | tiers);
            retier(holders, blocks.value(slot), old, old | tiers);
        }
        return true;
    }

    long remove(KeyHolders holders, long engineHash, int tiers) {
        int slot = blocks.find(engineHash);
        if (slot < 0) {
            return PrefixIndex.NO_KEY;
        }
        long blockKey = blocks.value(slot);
        int old = blocks.aux(slot);
        int left = old & ~tiers;
        if (left == 0) {
            blocks.removeAt(slot);
            detach(holders, blockKey, old);
        } else if (left != old) {
            blocks.setAux(slot, left);
            retier(holders, blockKey, old, left);
        }
        return blockKey;
    }

    /**
     * Removes n blocks. A removal needs the block key before it can touch the key side, two dependent misses; so
     * all engine hashes are probed first, then all their keys, then the removals run on cached lines.
     */
    int removeAll(KeyHolders holders, long[] engineHashes, int n, int tiers, long[] removedKeys) {
        long touched = 0L;
        for (int i = 0; i < n; i++) {
            touched += blocks.touch(engineHashes[i]);
        }
        for (int i = 0; i < n; i++) {
            int slot = blocks.find(engineHashes[i]);
            touched += slot < 0 ? 0L : holders.touch(blocks.value(slot));
        }
        sink = touched;
        int held = 0;
        for (int i = 0; i < n; i++) {
            long blockKey = remove(holders, engineHashes[i], tiers);
            held += blockKey == PrefixIndex.NO_KEY ? 0 : 1;
            if (removedKeys != null) {
                removedKeys[i] = blockKey;
            }
        }
        return held;
    }

    /** Removes every entry, walking only this worker's; returns how many engine hashes it held. */
    int purge(KeyHolders holders) {
        for (int slot = 0, end = blocks.slotLimit(); slot < end; slot++) {
            if (blocks.occupied(slot)) {
                holders.remove(blocks.value(slot), id); // 0 for the second alias of a key: already gone
            }
        }
        int n = blocks.size();
        reset();
        return n;
    }

    void forEach(EntryConsumer consumer) {
        for (int slot = 0, end = blocks.slotLimit(); slot < end; slot++) {
            if (blocks.occupied(slot)) {
                consumer.accept(blocks.keyAt(slot), blocks.value(slot), blocks.aux(slot));
            }
        }
    }

    /** A new engine hash of this worker maps to {@code blockKey} with {@code tiers}. */
    private void attach(KeyHolders holders, long blockKey, int tiers) {
        int prev = holders.put(blockKey, id, tiers);
        if (prev == 0) {
            return;
        }
        long counts = aliasCounts(blockKey);
        if (counts == 0L) {
            counts = add(0L, prev, 1); // the one engine hash that held the key so far
        }
        counts = add(counts, tiers, 1);
        if (aliases == null) {
            aliases = new Long2LongOpenHashMap(4);
        }
        aliases.put(blockKey, counts);
        holders.put(blockKey, id, tiersIn(counts));
    }

    /** An engine hash of this worker that mapped to {@code blockKey} with {@code tiers} is gone. */
    private void detach(KeyHolders holders, long blockKey, int tiers) {
        long counts = aliasCounts(blockKey);
        if (counts == 0L) {
            holders.remove(blockKey, id);
            return;
        }
        counts = add(counts, tiers, -1);
        if ((counts & FIELD) == 1L) {
            aliases.remove(blockKey);
        } else {
            aliases.put(blockKey, counts);
        }
        holders.put(blockKey, id, tiersIn(counts));
    }

    /** An engine hash of this worker mapping to {@code blockKey} changed tiers (both non-zero). */
    private void retier(KeyHolders holders, long blockKey, int oldTiers, int newTiers) {
        long counts = aliasCounts(blockKey);
        if (counts == 0L) {
            holders.put(blockKey, id, newTiers);
            return;
        }
        counts = add(add(counts, oldTiers, -1), newTiers, 1);
        aliases.put(blockKey, counts);
        holders.put(blockKey, id, tiersIn(counts));
    }

    private long aliasCounts(long blockKey) {
        return aliases == null ? 0L : aliases.get(blockKey);
    }

    /** Adds delta engine hashes with these tiers to the packed counts. */
    private static long add(long counts, int tiers, int delta) {
        if (delta > 0 && (counts & FIELD) == FIELD) {
            throw new IllegalStateException("more than 65535 engine hashes of one worker map to one block key");
        }
        long unit = 1L
                | ((tiers & Tier.GPU) != 0 ? 1L << 16 : 0L)
                | ((tiers & Tier.CPU) != 0 ? 1L << 32 : 0L)
                | ((tiers & Tier.OTHER) != 0 ? 1L << 48 : 0L);
        return counts + delta * unit;
    }

    private static int tiersIn(long counts) {
        return (((counts >>> 16) & FIELD) != 0 ? Tier.GPU : 0)
                | (((counts >>> 32) & FIELD) != 0 ? Tier.CPU : 0)
                | (((counts >>> 48) & FIELD) != 0 ? Tier.OTHER : 0);
    }

    /** Forgets every entry (the key side must have been updated) and returns the memory. */
    void reset() {
        blocks = new LongPairTable(INITIAL, true);
        aliases = null;
    }

    long bytes() {
        return blocks.bytes() + 64L + (aliases == null ? 0L : 32L * aliases.size() + 64L);
    }
}
