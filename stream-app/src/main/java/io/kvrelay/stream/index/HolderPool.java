package io.kvrelay.stream.index;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;

/**
 * Holder sets of the keys that more than two workers hold (one or two holders fit inline in {@link KeyHolders}), kept
 * in one {@code long[]} arena so that they cost no object headers and no pointer chasing. Two formats:
 * <ul>
 *   <li>LIST, 3 to {@value #LIST_MAX} holders: {@code [count, 4 longs of 2 int holders each]}, a holder being
 *       {@code (worker + 1) << 3 | tiers} as in {@link KeyHolders};</li>
 *   <li>BITSET, more holders (shared system prompts, up to every worker): {@code [count | words << 32, gpu[words],
 *       cpu[words], storage[words]]}, one bit per worker id per tier. Matching against it costs a few word operations
 *       per key however many workers hold it, and it stays small because worker ids are dense.</li>
 * </ul>
 * A ref is the arena offset of the header. Freed blocks are reused through one free list per block size.
 * Not thread-safe; owned by {@link KeyHolders}.
 */
final class HolderPool {
    static final int LIST_MAX = 8;
    private static final int LIST_SIZE = 1 + LIST_MAX / 2;

    private long[] arena = new long[256];
    private int top;
    private IntArrayList[] freeBySize = new IntArrayList[8];
    private long used;

    private int allocate(int size) {
        if (size < freeBySize.length && freeBySize[size] != null && !freeBySize[size].isEmpty()) {
            int ref = freeBySize[size].popInt();
            Arrays.fill(arena, ref, ref + size, 0L);
            used += size;
            return ref;
        }
        if (top + size > arena.length) {
            long want = Math.max((long) top + size, arena.length + (arena.length >> 1));
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("holder pool full");
            }
            arena = Arrays.copyOf(arena, (int) want);
        }
        int ref = top;
        top += size;
        used += size;
        return ref;
    }

    private void free(int ref, int size) {
        if (size >= freeBySize.length) {
            freeBySize = Arrays.copyOf(freeBySize, Math.max(size + 1, freeBySize.length * 2));
        }
        if (freeBySize[size] == null) {
            freeBySize[size] = new IntArrayList();
        }
        freeBySize[size].add(ref);
        used -= size;
    }

    // ---- LIST

    int newList(int a, int b, int c) {
        int ref = allocate(LIST_SIZE);
        arena[ref] = 3;
        listSet(ref, 0, a);
        listSet(ref, 1, b);
        listSet(ref, 2, c);
        return ref;
    }

    int listCount(int ref) {
        return (int) arena[ref];
    }

    int listHolder(int ref, int i) {
        return (int) (arena[ref + 1 + (i >> 1)] >>> ((i & 1) << 5));
    }

    void listSet(int ref, int i, int holder) {
        int p = ref + 1 + (i >> 1);
        int shift = (i & 1) << 5;
        arena[p] = (arena[p] & ~(0xFFFFFFFFL << shift)) | ((holder & 0xFFFFFFFFL) << shift);
    }

    /** Index of {@code worker}'s holder in the list, or -1. */
    int listFind(int ref, int worker) {
        int n = listCount(ref);
        for (int i = 0; i < n; i++) {
            if (KeyHolders.workerOf(listHolder(ref, i)) == worker) {
                return i;
            }
        }
        return -1;
    }

    void listAdd(int ref, int holder) {
        int n = listCount(ref);
        listSet(ref, n, holder);
        arena[ref] = n + 1;
    }

    /** Removes holder i by moving the last one into its place (order is irrelevant). */
    void listRemoveAt(int ref, int i) {
        int last = listCount(ref) - 1;
        listSet(ref, i, listHolder(ref, last));
        listSet(ref, last, 0);
        arena[ref] = last;
    }

    void freeList(int ref) {
        free(ref, LIST_SIZE);
    }

    // ---- BITSET

    int bitsetWords(int ref) {
        return (int) (arena[ref] >>> 32);
    }

    int bitsetCount(int ref) {
        return (int) arena[ref];
    }

    /** Offset of the GPU words; CPU and STORAGE words follow at +words and +2·words. */
    static int bitsetBase(int ref) {
        return ref + 1;
    }

    long word(int offset) {
        return arena[offset];
    }

    int bitsetTiers(int ref, int worker) {
        int words = bitsetWords(ref);
        int j = worker >>> 6;
        if (j >= words) {
            return 0;
        }
        int p = ref + 1 + j;
        return (int) ((arena[p] >>> worker) & 1L)
                | (int) ((arena[p + words] >>> worker) & 1L) << 1
                | (int) ((arena[p + 2 * words] >>> worker) & 1L) << 2;
    }

    /** Sets (with tiers 0: clears) the worker's tier bits, the bitset being wide enough; returns the old bits. */
    int bitsetSet(int ref, int worker, int tiers) {
        int words = bitsetWords(ref);
        int prev = bitsetTiers(ref, worker);
        int p = ref + 1 + (worker >>> 6);
        long bit = 1L << worker;
        for (int t = 0; t < 3; t++, p += words) {
            arena[p] = (tiers & (1 << t)) != 0 ? arena[p] | bit : arena[p] & ~bit;
        }
        int count = bitsetCount(ref) + (prev == 0 && tiers != 0 ? 1 : 0) - (prev != 0 && tiers == 0 ? 1 : 0);
        arena[ref] = (long) words << 32 | count;
        return prev;
    }

    /** A bitset at least {@code words} wide holding the list's holders; frees the list. */
    int listToBitset(int listRef, int words) {
        int n = listCount(listRef);
        for (int i = 0; i < n; i++) {
            words = Math.max(words, (KeyHolders.workerOf(listHolder(listRef, i)) >>> 6) + 1);
        }
        int ref = allocate(1 + 3 * words);
        arena[ref] = (long) words << 32;
        for (int i = 0; i < n; i++) {
            int h = listHolder(listRef, i);
            bitsetSet(ref, KeyHolders.workerOf(h), h & Tier.ALL);
        }
        freeList(listRef);
        return ref;
    }

    /** The bitset copied into a wider one; frees the old. */
    int widen(int ref, int words) {
        int old = bitsetWords(ref);
        int wider = allocate(1 + 3 * words);
        arena[wider] = (long) words << 32 | bitsetCount(ref);
        for (int t = 0; t < 3; t++) {
            System.arraycopy(arena, ref + 1 + t * old, arena, wider + 1 + t * words, old);
        }
        free(ref, 1 + 3 * old);
        return wider;
    }

    /** A list of the bitset's holders (at most {@value #LIST_MAX}); frees the bitset. */
    int bitsetToList(int ref) {
        int words = bitsetWords(ref);
        int list = allocate(LIST_SIZE);
        for (int j = 0; j < words; j++) {
            int p = ref + 1 + j;
            long any = arena[p] | arena[p + words] | arena[p + 2 * words];
            while (any != 0L) {
                int worker = (j << 6) + Long.numberOfTrailingZeros(any);
                any &= any - 1;
                listAdd(list, KeyHolders.holder(worker, bitsetTiers(ref, worker)));
            }
        }
        free(ref, 1 + 3 * words);
        return list;
    }

    void clear() {
        arena = new long[256];
        top = 0;
        used = 0;
        freeBySize = new IntArrayList[8];
    }

    long bytes() {
        return 16L + 8L * arena.length;
    }

    /** Longs in live sets (the arena may be larger: free blocks and growth room). */
    long usedLongs() {
        return used;
    }
}
