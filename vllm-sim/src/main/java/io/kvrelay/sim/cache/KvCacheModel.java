package io.kvrelay.sim.cache;

import io.kvrelay.sim.wire.SimEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One worker's prefix cache: a fixed number of blocks, LRU eviction, and the events vLLM would publish for each step.
 *
 * <p>Blocks are touched from the last block of a prompt back to the first, as vLLM frees a request's blocks in reverse,
 * so a parent is always more recently used than its children: eviction takes leaves first and a cached block's parent
 * is always cached. That keeps the ground truth a forest of complete prefixes, which is what vLLM's index is.
 *
 * <p>Not thread-safe; the owning worker serialises access.
 */
public final class KvCacheModel {
    private final int capacityBlocks;
    private final int blockSize;
    private final BlockHasher hasher;
    // Access order: get() moves an entry to the tail, so iteration starts at the least recently used block.
    private final LinkedHashMap<Long, CachedBlock> blocks;

    public KvCacheModel(int capacityBlocks, int blockSize, BlockHasher hasher) {
        if (capacityBlocks <= 0) {
            throw new IllegalArgumentException("capacityBlocks must be > 0, got " + capacityBlocks);
        }
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
        }
        this.capacityBlocks = capacityBlocks;
        this.blockSize = blockSize;
        this.hasher = hasher;
        this.blocks = new LinkedHashMap<>(Math.min(capacityBlocks, 1 << 16) * 2, 0.75f, true);
    }

    /**
     * Serves a prompt: its full blocks are looked up as a prefix, hits are touched, misses are stored chained from the
     * previous block, and least recently used blocks of other prompts are evicted to make room. A prompt longer than
     * the cache only caches its first {@code capacityBlocks} blocks.
     */
    public ServeResult serve(int[] promptTokens, String lora) {
        int n = Math.min(promptTokens.length / blockSize, capacityBlocks);
        long[] hashes = new long[n];
        int hit = 0;
        boolean missed = false;
        long parent = hasher.root();
        for (int i = 0; i < n; i++) {
            long h = hasher.hash(parent, promptTokens, i * blockSize, (i + 1) * blockSize, lora);
            hashes[i] = h;
            parent = h;
            if (!missed && blocks.containsKey(h)) {
                hit++;
            } else {
                missed = true;
            }
        }
        int fresh = n - hit;
        long[] victims = evictFor(blocks.size() + fresh - capacityBlocks, hashes, hit);
        for (int i = n - 1; i >= 0; i--) {
            if (i < hit) {
                blocks.get(hashes[i]);
            } else {
                int[] tokens = Arrays.copyOfRange(promptTokens, i * blockSize, (i + 1) * blockSize);
                blocks.put(hashes[i], new CachedBlock(hashes[i], i == 0 ? null : hashes[i - 1], tokens, lora));
            }
        }
        List<SimEvent> events = new ArrayList<>(2);
        if (victims.length > 0) {
            events.add(new SimEvent.Removed(victims, SimEvent.MEDIUM_GPU, 0, null));
        }
        if (fresh > 0) {
            events.add(stored(hashes, hit, promptTokens, lora));
        }
        return new ServeResult(events, n, hit, fresh, victims.length);
    }

    /** Evicts the {@code count} least recently used blocks (memory pressure without a new prompt). */
    public List<SimEvent> evictLru(int count) {
        long[] victims = evictFor(Math.min(count, blocks.size()), new long[0], 0);
        return victims.length == 0 ? List.of() : List.of(new SimEvent.Removed(victims, SimEvent.MEDIUM_GPU, 0, null));
    }

    /** vLLM's {@code reset_prefix_cache}: every block goes and one AllBlocksCleared is published. */
    public List<SimEvent> clear() {
        blocks.clear();
        return List.of(new SimEvent.Cleared());
    }

    /** Empties the cache without any event, as a process restart loses it. */
    public void reset() {
        blocks.clear();
    }

    /** Ground truth: every cached block by hash, iterated from least to most recently used. */
    public Map<Long, CachedBlock> contents() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(blocks));
    }

    /** Cached hashes from least to most recently used (the order eviction takes them). */
    public long[] lruOrder() {
        return blocks.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    public boolean contains(long hash) {
        return blocks.containsKey(hash);
    }

    public int size() {
        return blocks.size();
    }

    public int capacityBlocks() {
        return capacityBlocks;
    }

    public int blockSize() {
        return blockSize;
    }

    public BlockHasher hasher() {
        return hasher;
    }

    /** The id vLLM's {@code lora_id} would carry: stable per adapter name, positive, null for the base model. */
    public static Integer loraId(String lora) {
        return lora == null ? null : Math.floorMod(lora.hashCode(), 1_000_000) + 1;
    }

    private long[] evictFor(int needed, long[] requestHashes, int requestHits) {
        if (needed <= 0) {
            return new long[0];
        }
        Set<Long> keep = new HashSet<>();
        for (int i = 0; i < requestHits; i++) {
            keep.add(requestHashes[i]);
        }
        long[] victims = new long[needed];
        int count = 0;
        Iterator<Long> it = blocks.keySet().iterator();
        while (count < needed && it.hasNext()) {
            long h = it.next();
            if (!keep.contains(h)) {
                victims[count++] = h;
                it.remove();
            }
        }
        return count == needed ? victims : Arrays.copyOf(victims, count);
    }

    private SimEvent.Stored stored(long[] hashes, int hit, int[] promptTokens, String lora) {
        long[] fresh = Arrays.copyOfRange(hashes, hit, hashes.length);
        int[] tokens = Arrays.copyOfRange(promptTokens, hit * blockSize, hashes.length * blockSize);
        // One extra-keys entry per block, as vLLM sends them: (lora_name,) under an adapter, None otherwise.
        List<Object> extraKeys = new ArrayList<>(fresh.length);
        for (int i = 0; i < fresh.length; i++) {
            extraKeys.add(lora == null ? null : List.of(lora));
        }
        return new SimEvent.Stored(fresh, hit == 0 ? null : hashes[hit - 1], tokens, blockSize, loraId(lora),
                SimEvent.MEDIUM_GPU, lora, Collections.unmodifiableList(extraKeys), 0, SimEvent.SPEC_FULL_ATTENTION,
                null, null);
    }
}
