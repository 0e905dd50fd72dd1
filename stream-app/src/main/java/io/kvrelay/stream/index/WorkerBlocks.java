package io.kvrelay.stream.index;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;

/**
 * One worker's side of the index: engine hash → (block key, tiers), the map that {@code BlockRemoved} (engine hashes
 * only) and parent chaining need, and the reverse index that makes a purge cost only this worker's entries. Its
 * mutators keep the key side ({@link KeyHolders}) in step.
 *
 * <p>Several engine hashes of one worker can map to the same block key, because vLLM hashes inputs our keys leave out
 * (prompt embeddings, or extra keys an older publisher did not send). The (key, worker) entry then stays while any of
 * them does, with the union of their tiers; for those keys only, {@link #aliases} counts the engine hashes per tier.
 *
 * <p>An entry's bits are its local tiers plus {@link Tier#REMOTE}. Only the local tiers reach the key side: an entry
 * with REMOTE alone maps its engine hash to a block key (so that a later block chained to it can be keyed) but makes
 * the worker hold nothing, and {@link #size} does not count it.
 *
 * <p>Not thread-safe; owned by {@link PrefixIndex}, which calls it under its lock.
 */
final class WorkerBlocks {
    private static final int INITIAL = 64;
    private static final long FIELD = 0xFFFFL;

    final String key;
    final int id;
    private LongPairTable blocks = new LongPairTable(INITIAL, true);
    /** Block key → packed counts {total, gpu, cpu, storage} × 16 bits, only for keys with ≥ 2 engine hashes. */
    private Long2LongOpenHashMap aliases;
    /** Entries with {@link Tier#REMOTE} and no local tier. */
    private int remoteOnly;
    /** Where batch probes leave their loads, so that the JIT keeps them (see {@link LongPairTable#touch}). */
    private long sink;

    WorkerBlocks(String key, int id) {
        this.key = key;
        this.id = id;
    }

    /** Engine hashes held in at least one local tier. */
    int size() {
        return blocks.size() - remoteOnly;
    }

    /** Engine hashes known only as REMOTE. */
    int remoteOnly() {
        return remoteOnly;
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
            if (Tier.local(tiers) != 0) {
                attach(holders, blockKey, Tier.local(tiers));
            } else {
                remoteOnly++;
            }
            return;
        }
        long oldKey = blocks.value(slot);
        int oldBits = blocks.aux(slot);
        if (oldKey == blockKey) {
            if ((oldBits | tiers) != oldBits) {
                blocks.setAux(slot, oldBits | tiers);
                relink(holders, blockKey, oldBits, blockKey, oldBits | tiers);
            }
            return;
        }
        blocks.setValue(slot, blockKey);
        blocks.setAux(slot, tiers);
        relink(holders, oldKey, oldBits, blockKey, tiers);
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
            long key = blocks.value(slot);
            blocks.setAux(slot, old | tiers);
            relink(holders, key, old, key, old | tiers);
        }
        return true;
    }

    /**
     * Clears these bits of the entry. Returns its block key, or {@link PrefixIndex#NO_KEY} when the worker has no such
     * entry or, for local tiers, holds it in none (an entry known only as REMOTE), or, for {@link Tier#REMOTE}, the
     * entry is not REMOTE.
     */
    long remove(KeyHolders holders, long engineHash, int tiers) {
        int slot = blocks.find(engineHash);
        if (slot < 0) {
            return PrefixIndex.NO_KEY;
        }
        long blockKey = blocks.value(slot);
        int old = blocks.aux(slot);
        int kinds = (Tier.local(tiers) != 0 ? Tier.ALL : 0) | (tiers & Tier.REMOTE);
        if ((old & kinds) == 0) {
            return PrefixIndex.NO_KEY;
        }
        int left = old & ~tiers;
        if (left == 0) {
            blocks.removeAt(slot);
        } else if (left != old) {
            blocks.setAux(slot, left);
        }
        relink(holders, blockKey, old, blockKey, left);
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
            if (blocks.occupied(slot) && Tier.local(blocks.aux(slot)) != 0) {
                holders.remove(blocks.value(slot), id); // 0 for the second alias of a key: already gone
            }
        }
        int n = size();
        reset();
        return n;
    }

    /** Every entry held in a local tier, with its local tiers (REMOTE-only entries are not visited). */
    void forEach(EntryConsumer consumer) {
        for (int slot = 0, end = blocks.slotLimit(); slot < end; slot++) {
            if (blocks.occupied(slot)) {
                int local = Tier.local(blocks.aux(slot));
                if (local != 0) {
                    consumer.accept(blocks.keyAt(slot), blocks.value(slot), local);
                }
            }
        }
    }

    /**
     * The entry went from (oldKey, oldBits) to (newKey, newBits), either side possibly without local tiers (0 bits for
     * a new or removed entry): keeps the key side, which sees local tiers only, and the REMOTE-only count in step.
     */
    private void relink(KeyHolders holders, long oldKey, int oldBits, long newKey, int newBits) {
        int oldLocal = Tier.local(oldBits);
        int newLocal = Tier.local(newBits);
        remoteOnly += (oldLocal == 0 && oldBits != 0 ? -1 : 0) + (newLocal == 0 && newBits != 0 ? 1 : 0);
        if (oldKey == newKey && oldLocal != 0 && newLocal != 0) {
            if (oldLocal != newLocal) {
                retier(holders, newKey, oldLocal, newLocal);
            }
            return;
        }
        if (oldLocal != 0) {
            detach(holders, oldKey, oldLocal);
        }
        if (newLocal != 0) {
            attach(holders, newKey, newLocal);
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
                | ((tiers & Tier.STORAGE) != 0 ? 1L << 48 : 0L);
        return counts + delta * unit;
    }

    private static int tiersIn(long counts) {
        return (((counts >>> 16) & FIELD) != 0 ? Tier.GPU : 0)
                | (((counts >>> 32) & FIELD) != 0 ? Tier.CPU : 0)
                | (((counts >>> 48) & FIELD) != 0 ? Tier.STORAGE : 0);
    }

    /** Forgets every entry (the key side must have been updated) and returns the memory. */
    void reset() {
        blocks = new LongPairTable(INITIAL, true);
        aliases = null;
        remoteOnly = 0;
    }

    long bytes() {
        return blocks.bytes() + 64L + (aliases == null ? 0L : 32L * aliases.size() + 64L);
    }
}
