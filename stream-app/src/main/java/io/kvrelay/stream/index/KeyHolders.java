package io.kvrelay.stream.index;

/**
 * Block key → the workers holding it, with their tiers: the side of the index that prefix queries read.
 *
 * <p>Each key's value is one long. Most keys are held by one or two workers, so those holders are inline, one int each:
 * {@code (worker + 1) << 3 | tiers} (never 0, so 0 means "no second holder"). Keys held by more workers point into
 * the {@link HolderPool}: bit 63 set, bit 62 set for a BITSET and clear for a LIST, the pool ref in the low 32 bits.
 * A set moves inline → LIST at 3 holders, LIST → BITSET past {@value HolderPool#LIST_MAX}, and back down (BITSET →
 * LIST at {@value #BACK_TO_LIST}, LIST → inline at 2), so a key costs what its holder count needs.
 *
 * <p>Not thread-safe; owned by {@link PrefixIndex}.
 */
final class KeyHolders {
    /** Worker ids must leave bit 31 of an inline holder clear: (id + 1) << 3 < 2^31. */
    static final int MAX_WORKERS = (1 << 28) - 1;
    private static final long POOLED = 1L << 63;
    private static final long BITSET = 1L << 62;
    private static final long LOW = 0xFFFFFFFFL;
    private static final int BACK_TO_LIST = 4;

    private final LongPairTable table;
    private final HolderPool pool = new HolderPool();
    private long entries;

    KeyHolders(int expectedKeys) {
        table = new LongPairTable(expectedKeys, false);
    }

    static int holder(int worker, int tiers) {
        return (worker + 1) << 3 | tiers;
    }

    static int workerOf(int holder) {
        return (holder >>> 3) - 1;
    }

    /** (key, worker) pairs. */
    long entries() {
        return entries;
    }

    int keys() {
        return table.size();
    }

    /** The worker's tiers for the key, 0 when it does not hold it. */
    int tiers(long key, int worker) {
        int slot = table.find(key);
        if (slot < 0) {
            return 0;
        }
        long v = table.value(slot);
        if (v >= 0) {
            int a = (int) v;
            int b = (int) (v >>> 32);
            return workerOf(a) == worker ? a & Tier.ALL : b != 0 && workerOf(b) == worker ? b & Tier.ALL : 0;
        }
        int ref = (int) v;
        if ((v & BITSET) != 0) {
            return pool.bitsetTiers(ref, worker);
        }
        int i = pool.listFind(ref, worker);
        return i < 0 ? 0 : pool.listHolder(ref, i) & Tier.ALL;
    }

    /** Sets the worker's tiers for the key (non-zero), adding the holder if needed; returns the old tiers or 0. */
    int put(long key, int worker, int tiers) {
        int h = holder(worker, tiers);
        int slot = table.findOrInsert(key);
        if (slot < 0) {
            table.setValue(~slot, h);
            entries++;
            return 0;
        }
        long v = table.value(slot);
        if (v >= 0) {
            int a = (int) v;
            int b = (int) (v >>> 32);
            if (workerOf(a) == worker) {
                table.setValue(slot, (v & ~LOW) | h);
                return a & Tier.ALL;
            }
            if (b != 0 && workerOf(b) == worker) {
                table.setValue(slot, (v & LOW) | (long) h << 32);
                return b & Tier.ALL;
            }
            entries++;
            table.setValue(slot, b == 0 ? v | (long) h << 32 : POOLED | pool.newList(a, b, h));
            return 0;
        }
        int ref = (int) v;
        if ((v & BITSET) == 0) {
            int i = pool.listFind(ref, worker);
            if (i >= 0) {
                int prev = pool.listHolder(ref, i) & Tier.ALL;
                pool.listSet(ref, i, h);
                return prev;
            }
            entries++;
            if (pool.listCount(ref) < HolderPool.LIST_MAX) {
                pool.listAdd(ref, h);
                return 0;
            }
            ref = pool.listToBitset(ref, (worker >>> 6) + 1);
            table.setValue(slot, POOLED | BITSET | ref);
            pool.bitsetSet(ref, worker, tiers);
            return 0;
        }
        if ((worker >>> 6) >= pool.bitsetWords(ref)) {
            ref = pool.widen(ref, (worker >>> 6) + 1);
            table.setValue(slot, POOLED | BITSET | ref);
        }
        int prev = pool.bitsetSet(ref, worker, tiers);
        if (prev == 0) {
            entries++;
        }
        return prev;
    }

    /** Drops the worker from the key's holders; returns its tiers, or 0 when it did not hold the key. */
    int remove(long key, int worker) {
        int slot = table.find(key);
        if (slot < 0) {
            return 0;
        }
        long v = table.value(slot);
        if (v >= 0) {
            int a = (int) v;
            int b = (int) (v >>> 32);
            if (workerOf(a) == worker) {
                entries--;
                if (b == 0) {
                    table.removeAt(slot);
                } else {
                    table.setValue(slot, b);
                }
                return a & Tier.ALL;
            }
            if (b != 0 && workerOf(b) == worker) {
                entries--;
                table.setValue(slot, v & LOW);
                return b & Tier.ALL;
            }
            return 0;
        }
        int ref = (int) v;
        int prev;
        if ((v & BITSET) != 0) {
            if ((worker >>> 6) >= pool.bitsetWords(ref)) {
                return 0; // narrower than this worker's id: it cannot be a holder
            }
            prev = pool.bitsetSet(ref, worker, 0);
            if (prev != 0 && pool.bitsetCount(ref) <= BACK_TO_LIST) {
                table.setValue(slot, POOLED | pool.bitsetToList(ref));
            }
        } else {
            int i = pool.listFind(ref, worker);
            if (i < 0) {
                return 0;
            }
            prev = pool.listHolder(ref, i) & Tier.ALL;
            pool.listRemoveAt(ref, i);
            if (pool.listCount(ref) == 2) {
                table.setValue(slot, (pool.listHolder(ref, 0) & LOW) | (long) pool.listHolder(ref, 1) << 32);
                pool.freeList(ref);
            }
        }
        if (prev != 0) {
            entries--;
        }
        return prev;
    }

    /** The key's raw holder value (decode with {@link #isInline}/{@link #isBitset}), or 0 when nobody holds it. */
    long lookup(long key) {
        int slot = table.find(key);
        return slot < 0 ? 0L : table.value(slot);
    }

    /** See {@link LongPairTable#touch}. */
    long touch(long key) {
        return table.touch(key);
    }

    static boolean isInline(long value) {
        return value > 0;
    }

    /** For a pooled value (not inline, not 0): a BITSET rather than a LIST. */
    static boolean isBitset(long value) {
        return (value & BITSET) != 0;
    }

    HolderPool pool() {
        return pool;
    }

    void compactIfSparse() {
        table.compactIfSparse();
    }

    void clear() {
        table.clear();
        pool.clear();
        entries = 0;
    }

    long bytes() {
        return table.bytes() + pool.bytes() + 48L;
    }
}
