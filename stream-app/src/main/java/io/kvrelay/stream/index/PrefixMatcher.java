package io.kvrelay.stream.index;

import java.util.Arrays;

/**
 * {@link PrefixIndex#match}: the longest held prefix of a key chain per candidate worker.
 *
 * <p>Candidates still in the race are bitsets over worker ids (ids are dense, so 64 workers are one word), one for
 * any tier, one for memory (GPU or CPU) and one for GPU: three nested prefixes, since a GPU holder is also a memory
 * holder. Each key ANDs them with the key's holders, read straight from its inline value, LIST or BITSET, so a key
 * costs one table probe and a few word operations however many workers hold it. The bits that drop at key k get
 * length k. Keys are looked up {@value #AHEAD} at a time, in a loop whose probes do not depend on
 * each other, so that their cache misses overlap.
 */
final class PrefixMatcher {
    /** Lookups issued together; at most this many are wasted past the key where the chain breaks. */
    static final int AHEAD = 16;

    private PrefixMatcher() {
    }

    /** Local tiers a block is in memory in: no read from storage. */
    private static final int MEMORY = Tier.GPU | Tier.CPU;

    /** @param memMatched may be null: the caller does not need the memory prefix */
    static int match(KeyHolders holders, long[] keys, int nKeys, int[] candidates, int nCandidates, int[] matched,
                     int[] gpuMatched, int[] memMatched, int workerCount) {
        int maxWorker = -1;
        for (int i = 0; i < nCandidates; i++) {
            int c = candidates[i];
            if (c >= 0 && c < workerCount && c > maxWorker) {
                maxWorker = c;
            }
        }
        if (maxWorker < 0 || nKeys <= 0) {
            Arrays.fill(matched, 0, nCandidates, 0);
            Arrays.fill(gpuMatched, 0, nCandidates, 0);
            if (memMatched != null) {
                Arrays.fill(memMatched, 0, nCandidates, 0);
            }
            return 0;
        }
        int words = (maxWorker >>> 6) + 1;
        long[] alive = new long[words];
        long[] gpuAlive = new long[words];
        long[] memAlive = new long[words];
        int[] anyLen = new int[words << 6];
        int[] gpuLen = new int[words << 6];
        int[] memLen = new int[words << 6];
        for (int i = 0; i < nCandidates; i++) {
            int c = candidates[i];
            if (c >= 0 && c < workerCount) {
                alive[c >>> 6] |= 1L << c;
                gpuAlive[c >>> 6] |= 1L << c;
                memAlive[c >>> 6] |= 1L << c;
            }
        }
        long[] values = new long[Math.min(AHEAD, nKeys)];
        int k = words == 1
                ? matchOneWord(holders, keys, nKeys, values, alive[0], anyLen, gpuLen, memLen)
                : matchWords(holders, keys, nKeys, values, alive, gpuAlive, memAlive, anyLen, gpuLen, memLen);
        for (int i = 0; i < nCandidates; i++) {
            int c = candidates[i];
            boolean known = c >= 0 && c < workerCount;
            matched[i] = known ? anyLen[c] : 0;
            gpuMatched[i] = known ? gpuLen[c] : 0;
            if (memMatched != null) {
                memMatched[i] = known ? memLen[c] : 0;
            }
        }
        return k;
    }

    /**
     * Up to 64 workers, the common case: the candidate sets are two longs in registers. Returns where the scan stopped
     * (the largest match) after recording every candidate's lengths.
     */
    private static int matchOneWord(KeyHolders holders, long[] keys, int nKeys, long[] values, long candidates,
                                    int[] anyLen, int[] gpuLen, int[] memLen) {
        HolderPool pool = holders.pool();
        long alive = candidates;
        long gpuAlive = candidates;
        long memAlive = candidates;
        int k = 0;
        scan:
        for (int from = 0; from < nKeys; from += AHEAD) {
            int to = Math.min(nKeys, from + AHEAD);
            for (int t = from; t < to; t++) {
                values[t - from] = holders.lookup(keys[t]);
            }
            for (k = from; k < to; k++) {
                long v = values[k - from];
                long anyMask = 0L;
                long gpuMask = 0L;
                long memMask = 0L;
                if (KeyHolders.isInline(v)) {
                    int h1 = (int) v;
                    int h2 = (int) (v >>> 32);
                    long b1 = bit(h1, 0);
                    long b2 = bit(h2, 0);
                    anyMask = b1 | b2;
                    gpuMask = ((h1 & Tier.GPU) != 0 ? b1 : 0L) | ((h2 & Tier.GPU) != 0 ? b2 : 0L);
                    memMask = ((h1 & MEMORY) != 0 ? b1 : 0L) | ((h2 & MEMORY) != 0 ? b2 : 0L);
                } else if (v != 0L && !KeyHolders.isBitset(v)) {
                    int ref = (int) v;
                    for (int i = 0, n = pool.listCount(ref); i < n; i++) {
                        int h = pool.listHolder(ref, i);
                        long b = bit(h, 0);
                        anyMask |= b;
                        gpuMask |= (h & Tier.GPU) != 0 ? b : 0L;
                        memMask |= (h & MEMORY) != 0 ? b : 0L;
                    }
                } else if (v != 0L) {
                    int ref = (int) v;
                    int width = pool.bitsetWords(ref);
                    int p = HolderPool.bitsetBase(ref);
                    gpuMask = pool.word(p);
                    memMask = gpuMask | pool.word(p + width);
                    anyMask = memMask | pool.word(p + 2 * width);
                }
                long ng = gpuAlive & gpuMask;
                if (ng != gpuAlive) {
                    record(gpuLen, 0, gpuAlive & ~ng, k);
                    gpuAlive = ng;
                }
                long nm = memAlive & memMask;
                if (nm != memAlive) {
                    record(memLen, 0, memAlive & ~nm, k);
                    memAlive = nm;
                }
                long na = alive & anyMask;
                if (na != alive) {
                    record(anyLen, 0, alive & ~na, k);
                    alive = na;
                    if (na == 0L) {
                        break scan; // no remaining candidate holds keys[k]: the chain is broken for all of them
                    }
                }
            }
        }
        record(anyLen, 0, alive, k);
        record(gpuLen, 0, gpuAlive, k);
        record(memLen, 0, memAlive, k);
        return k;
    }

    /** Any number of workers: the same walk over arrays of words. */
    private static int matchWords(KeyHolders holders, long[] keys, int nKeys, long[] values, long[] alive,
                                  long[] gpuAlive, long[] memAlive, int[] anyLen, int[] gpuLen, int[] memLen) {
        HolderPool pool = holders.pool();
        int words = alive.length;
        int k = 0;
        scan:
        for (int from = 0; from < nKeys; from += AHEAD) {
            int to = Math.min(nKeys, from + AHEAD);
            for (int t = from; t < to; t++) {
                values[t - from] = holders.lookup(keys[t]);
            }
            for (k = from; k < to; k++) {
                long v = values[k - from];
                long left = 0L;
                for (int j = 0; j < words; j++) {
                    long a = alive[j];
                    if (a == 0L) {
                        continue; // gpuAlive ⊆ memAlive ⊆ alive: nothing of this word is left to drop
                    }
                    long anyMask = 0L;
                    long gpuMask = 0L;
                    long memMask = 0L;
                    if (KeyHolders.isInline(v)) {
                        int h1 = (int) v;
                        int h2 = (int) (v >>> 32);
                        anyMask = bit(h1, j) | bit(h2, j);
                        gpuMask = tierBit(h1, j, Tier.GPU) | tierBit(h2, j, Tier.GPU);
                        memMask = tierBit(h1, j, MEMORY) | tierBit(h2, j, MEMORY);
                    } else if (v != 0L && !KeyHolders.isBitset(v)) {
                        int ref = (int) v;
                        for (int i = 0, n = pool.listCount(ref); i < n; i++) {
                            int h = pool.listHolder(ref, i);
                            anyMask |= bit(h, j);
                            gpuMask |= tierBit(h, j, Tier.GPU);
                            memMask |= tierBit(h, j, MEMORY);
                        }
                    } else if (v != 0L) {
                        int ref = (int) v;
                        int width = pool.bitsetWords(ref);
                        if (j < width) {
                            int p = HolderPool.bitsetBase(ref) + j;
                            gpuMask = pool.word(p);
                            memMask = gpuMask | pool.word(p + width);
                            anyMask = memMask | pool.word(p + 2 * width);
                        }
                    }
                    long na = a & anyMask;
                    long g = gpuAlive[j];
                    long ng = g & gpuMask;
                    long m = memAlive[j];
                    long nm = m & memMask;
                    if (na != a) {
                        record(anyLen, j, a & ~na, k);
                        alive[j] = na;
                    }
                    if (ng != g) {
                        record(gpuLen, j, g & ~ng, k);
                        gpuAlive[j] = ng;
                    }
                    if (nm != m) {
                        record(memLen, j, m & ~nm, k);
                        memAlive[j] = nm;
                    }
                    left |= na;
                }
                if (left == 0L) {
                    break scan; // no remaining candidate holds keys[k]: the chain is broken for all of them
                }
            }
        }
        for (int j = 0; j < words; j++) {
            record(anyLen, j, alive[j], k);
            record(gpuLen, j, gpuAlive[j], k);
            record(memLen, j, memAlive[j], k);
        }
        return k;
    }

    /** The holder's bit within word j, 0 if it is elsewhere (or h is the empty holder 0, worker -1). */
    private static long bit(int h, int j) {
        int w = KeyHolders.workerOf(h);
        return (w >> 6) == j ? 1L << w : 0L;
    }

    private static long tierBit(int h, int j, int tiers) {
        return (h & tiers) != 0 ? bit(h, j) : 0L;
    }

    private static void record(int[] len, int word, long dropped, int k) {
        while (dropped != 0L) {
            len[(word << 6) + Long.numberOfTrailingZeros(dropped)] = k;
            dropped &= dropped - 1;
        }
    }
}
