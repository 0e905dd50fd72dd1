package io.kvrelay.stream.index;

import io.kvrelay.schemas.BlockKeys;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * In-memory prefix index: which worker holds which block key, in which tiers, and the longest cached prefix of a
 * block-key chain per candidate worker. An entry is a (block key, worker) pair; the same key is held by many workers
 * when they share a prefix (a system prompt), and each holder is one entry.
 *
 * <p>Two sides, both primitive open-addressing tables (no boxing, no per-entry objects): per worker, engine hash →
 * (block key, tiers) ({@link WorkerBlocks}, also the reverse index that makes {@link #purge} cost only that worker's
 * entries), and block key → holders with tiers ({@link KeyHolders}, what {@link #match} reads).
 *
 * <p>Thread-safety: one writer thread (the stream task) and any number of reader threads (HTTP queries). Every public
 * method is safe to call concurrently; mutators take the write lock, queries the read lock ({@link
 * ReentrantReadWriteLock}, reentrant, so a caller may hold {@link #writeLock()} around a whole batch to pay for
 * locking once: inside it, mutators and queries of the holding thread do not touch the lock at all; readers wait for
 * the batch). An {@link EntryConsumer} runs under the read lock and must not mutate. For a whole event, prefer
 * {@link #putAll} and {@link #removeAll}: they overlap the cache misses of its blocks.
 *
 * <p>Worker ids are dense ints from {@link #workerId}; they stay valid for the life of the index (also across {@link
 * #purge} and {@link #clear}). Mutators reject ids never handed out with {@link IllegalArgumentException}, except the
 * removals, for which an unknown worker simply holds nothing; queries treat unknown ids as holding nothing.
 */
public final class PrefixIndex {
    public static final long NO_KEY = BlockKeys.NO_KEY;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Lock read = lock.readLock();
    private final Lock write = lock.writeLock();
    private final Object2IntOpenHashMap<String> ids = new Object2IntOpenHashMap<>();
    private final ArrayList<WorkerBlocks> workers = new ArrayList<>();
    private final KeyHolders holders;

    public PrefixIndex() {
        this(1 << 12);
    }

    /** @param expectedKeys distinct block keys to size for, so that a large index does not rehash while it fills */
    public PrefixIndex(int expectedKeys) {
        holders = new KeyHolders(expectedKeys);
        ids.defaultReturnValue(-1);
    }

    /** The write lock every mutator takes; hold it around a batch of mutations to lock once. */
    public Lock writeLock() {
        return write;
    }

    /** Dense id of a worker ("ns/service/pod#rank"), created on first use. */
    public int workerId(String workerKey) {
        boolean locked = enterWrite();
        try {
            int id = ids.getInt(workerKey);
            if (id < 0) {
                if (workers.size() >= KeyHolders.MAX_WORKERS) {
                    throw new IllegalStateException("too many workers: " + workers.size());
                }
                id = workers.size();
                workers.add(new WorkerBlocks(workerKey, id));
                ids.put(workerKey, id);
            }
            return id;
        } finally {
            exitWrite(locked);
        }
    }

    /** The id of a known worker, or -1. */
    public int findWorker(String workerKey) {
        boolean locked = enterRead();
        try {
            return ids.getInt(workerKey);
        } finally {
            exitRead(locked);
        }
    }

    /** @throws IllegalArgumentException for an id {@link #workerId} never returned */
    public String workerKey(int worker) {
        boolean locked = enterRead();
        try {
            return known(worker).key;
        } finally {
            exitRead(locked);
        }
    }

    /** Keys of the workers that hold at least one block, in id order. */
    public List<String> workers() {
        boolean locked = enterRead();
        try {
            List<String> out = new ArrayList<>();
            for (WorkerBlocks w : workers) {
                if (w.size() > 0) {
                    out.add(w.key);
                }
            }
            return out;
        } finally {
            exitRead(locked);
        }
    }

    /** Every worker id handed out so far is in {@code [0, workerCount())}. */
    public int workerCount() {
        boolean locked = enterRead();
        try {
            return workers.size();
        } finally {
            exitRead(locked);
        }
    }

    /** The block key this worker's engine hash maps to (held locally or announced REMOTE), or {@link #NO_KEY}. */
    public long keyOf(int worker, long engineHash) {
        boolean locked = enterRead();
        try {
            WorkerBlocks w = orNull(worker);
            return w == null ? NO_KEY : w.keyOf(engineHash);
        } finally {
            exitRead(locked);
        }
    }

    /** The bits of this worker's engine hash (local tiers, and {@link Tier#REMOTE}), 0 when it has no entry. */
    public int tiersOf(int worker, long engineHash) {
        boolean locked = enterRead();
        try {
            WorkerBlocks w = orNull(worker);
            return w == null ? 0 : w.tiersOf(engineHash);
        } finally {
            exitRead(locked);
        }
    }

    /**
     * The worker holds {@code engineHash} as {@code blockKey} in {@code tiers} (added to the tiers it had). If the
     * engine hash was mapped to another key, that mapping and its tiers go away first.
     *
     * With {@link Tier#REMOTE} alone the entry maps the engine hash to its key for chaining ({@link #keyOf}) and the
     * worker still holds nothing: it is no holder of the key, and neither {@link #blockCount} nor {@link #forEach}
     * counts it.
     *
     * @throws IllegalArgumentException for an unknown worker, {@code blockKey == NO_KEY} or tiers outside
     *                                  GPU|CPU|STORAGE|REMOTE
     */
    public void put(int worker, long engineHash, long blockKey, int tiers) {
        if (blockKey == NO_KEY) {
            throw new IllegalArgumentException("NO_KEY is not a block key");
        }
        Tier.check(tiers);
        boolean locked = enterWrite();
        try {
            known(worker).put(holders, engineHash, blockKey, tiers);
        } finally {
            exitWrite(locked);
        }
    }

    /** Adds tiers to a block the worker already holds (token-less CPU-offload events); false when it does not. */
    public boolean addTiers(int worker, long engineHash, int tiers) {
        Tier.check(tiers);
        boolean locked = enterWrite();
        try {
            return known(worker).addTiers(holders, engineHash, tiers);
        } finally {
            exitWrite(locked);
        }
    }

    /**
     * Clears these bits of the worker's entry (use {@link Tier#ALL} to drop every local tier, {@link Tier#REMOTE} for
     * the REMOTE mark); the entry goes away when no bit is left. Returns the block key, or {@link #NO_KEY} when the
     * worker has no entry for {@code engineHash} of that kind (local tiers asked of an entry that is only REMOTE, or
     * REMOTE of one that is not).
     */
    public long remove(int worker, long engineHash, int tiers) {
        boolean locked = enterWrite();
        try {
            WorkerBlocks w = orNull(worker);
            return w == null ? NO_KEY : w.remove(holders, engineHash, tiers);
        } finally {
            exitWrite(locked);
        }
    }

    /**
     * {@link #put} of {@code engineHashes[i] → blockKeys[i]} for i &lt; n, all in {@code tiers}, under one lock: the
     * BlockStored path. Every block's table slots are probed before any is written, so that their cache misses
     * overlap; on an index larger than the CPU caches this is ~1.4× as fast as n single puts (PrefixIndexBenchmark).
     *
     * @throws IllegalArgumentException as {@link #put}, before anything is changed
     */
    public void putAll(int worker, long[] engineHashes, long[] blockKeys, int n, int tiers) {
        Tier.check(tiers);
        for (int i = 0; i < n; i++) {
            if (blockKeys[i] == NO_KEY) {
                throw new IllegalArgumentException("NO_KEY is not a block key (block " + i + ")");
            }
        }
        boolean locked = enterWrite();
        try {
            known(worker).putAll(holders, engineHashes, blockKeys, n, tiers);
        } finally {
            exitWrite(locked);
        }
    }

    /**
     * {@link #remove} of {@code engineHashes[i]} for i &lt; n under one lock (BlockRemoved), with the probes issued
     * ahead as in {@link #putAll}. {@code removedKeys[i]}, when the array is not null, gets what remove would return.
     * Returns how many of the engine hashes the worker held.
     */
    public int removeAll(int worker, long[] engineHashes, int n, int tiers, long[] removedKeys) {
        boolean locked = enterWrite();
        try {
            WorkerBlocks w = orNull(worker);
            if (w == null) {
                if (removedKeys != null) {
                    java.util.Arrays.fill(removedKeys, 0, n, NO_KEY);
                }
                return 0;
            }
            return w.removeAll(holders, engineHashes, n, tiers, removedKeys);
        } finally {
            exitWrite(locked);
        }
    }

    /**
     * Removes every block of the worker, walking only its own entries, and returns how many engine hashes it held.
     * The key table may shrink afterwards when it is mostly empty (amortised: only after it lost most entries).
     */
    public int purge(int worker) {
        boolean locked = enterWrite();
        try {
            WorkerBlocks w = orNull(worker);
            if (w == null) {
                return 0;
            }
            int n = w.purge(holders);
            holders.compactIfSparse();
            return n;
        } finally {
            exitWrite(locked);
        }
    }

    /** Engine hashes the worker holds in a local tier (its (block, worker) entries, unless several map to one key). */
    public int blockCount(int worker) {
        boolean locked = enterRead();
        try {
            WorkerBlocks w = orNull(worker);
            return w == null ? 0 : w.size();
        } finally {
            exitRead(locked);
        }
    }

    /** (block, worker) entries in total. */
    public long entryCount() {
        boolean locked = enterRead();
        try {
            return holders.entries();
        } finally {
            exitRead(locked);
        }
    }

    /** Distinct block keys held by at least one worker. */
    public int keyCount() {
        boolean locked = enterRead();
        try {
            return holders.keys();
        } finally {
            exitRead(locked);
        }
    }

    /**
     * Every (engineHash, blockKey, local tiers) the worker holds, in no particular order; for tests and ground truth.
     * Entries known only as REMOTE are not visited.
     */
    public void forEach(int worker, EntryConsumer consumer) {
        boolean locked = enterRead();
        try {
            WorkerBlocks w = orNull(worker);
            if (w != null) {
                w.forEach(consumer);
            }
        } finally {
            exitRead(locked);
        }
    }

    /** {@link #match(long[], int, int[], int, int[], int[], int[])} without the memory prefix. */
    public int match(long[] keys, int nKeys, int[] candidates, int nCandidates, int[] matched, int[] gpuMatched) {
        return match(keys, nKeys, candidates, nCandidates, matched, gpuMatched, null);
    }

    /**
     * Longest matched prefix per candidate: {@code matched[i]} = number of leading keys ({@code keys[0..]}) candidate i
     * holds in any local tier, {@code memoryMatched[i]} = the same counting only GPU or CPU holdings (no storage
     * read), {@code gpuMatched[i]} = only GPU; so {@code gpuMatched <= memoryMatched <= matched}. Stops at the first
     * key no remaining candidate holds. Candidates are worker ids (unknown ids, -1 included, match 0; duplicates are
     * allowed). Returns the largest {@code matched[i]}. Allocates only a few small arrays sized by the largest
     * candidate id.
     *
     * @param memoryMatched may be null when the caller does not need it
     */
    public int match(long[] keys, int nKeys, int[] candidates, int nCandidates, int[] matched, int[] gpuMatched,
                     int[] memoryMatched) {
        if (nKeys > keys.length || nCandidates > candidates.length || nCandidates > matched.length
                || nCandidates > gpuMatched.length || (memoryMatched != null && nCandidates > memoryMatched.length)
                || nKeys < 0 || nCandidates < 0) {
            throw new IllegalArgumentException("nKeys/nCandidates exceed the arrays");
        }
        boolean locked = enterRead();
        try {
            return PrefixMatcher.match(holders, keys, nKeys, candidates, nCandidates, matched, gpuMatched,
                    memoryMatched, workers.size());
        } finally {
            exitRead(locked);
        }
    }

    /** Removes every entry; worker ids stay valid. */
    public void clear() {
        boolean locked = enterWrite();
        try {
            holders.clear();
            for (WorkerBlocks w : workers) {
                w.reset();
            }
        } finally {
            exitWrite(locked);
        }
    }

    /** Approximate heap held by the index's arrays, for a metrics gauge (the JVM's own measure is in IndexMemory). */
    public long memoryBytes() {
        boolean locked = enterRead();
        try {
            long bytes = holders.bytes() + 64L * ids.size();
            for (WorkerBlocks w : workers) {
                bytes += w.bytes();
            }
            return bytes;
        } finally {
            exitRead(locked);
        }
    }

    /**
     * Takes the write lock unless this thread holds it already (a batch): re-entering would still cost two volatile
     * writes, i.e. two full fences per block on x86, which serialise the cache misses of consecutive operations.
     */
    private boolean enterWrite() {
        if (lock.isWriteLockedByCurrentThread()) {
            return false;
        }
        write.lock();
        return true;
    }

    private void exitWrite(boolean locked) {
        if (locked) {
            write.unlock();
        }
    }

    /** The writer may query inside its batch (parent keys): its write lock already excludes everyone else. */
    private boolean enterRead() {
        if (lock.isWriteLockedByCurrentThread()) {
            return false;
        }
        read.lock();
        return true;
    }

    private void exitRead(boolean locked) {
        if (locked) {
            read.unlock();
        }
    }

    private WorkerBlocks orNull(int worker) {
        return worker >= 0 && worker < workers.size() ? workers.get(worker) : null;
    }

    private WorkerBlocks known(int worker) {
        WorkerBlocks w = orNull(worker);
        if (w == null) {
            throw new IllegalArgumentException("unknown worker id " + worker);
        }
        return w;
    }
}
