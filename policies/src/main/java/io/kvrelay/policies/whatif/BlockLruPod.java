package io.kvrelay.policies.whatif;

import io.kvrelay.policies.SimulatedPod;
import it.unimi.dsi.fastutil.longs.LongLinkedOpenHashSet;

/**
 * A simulated pod whose prefix cache holds recorded block keys: a fixed number of blocks, least recently used evicted
 * first, plus its requests in flight ({@link SimulatedPod}).
 *
 * <p>Serving touches the prompt's blocks from the last back to the first, as vLLM frees a request's blocks in reverse
 * (and as the simulator's {@code KvCacheModel} does): a prefix is always more recently used than its extensions, so a
 * shared system prompt outlives the conversations built on it. A prompt longer than the cache caches only its first
 * {@code capacityBlocks} blocks. Deterministic; not thread-safe.
 */
public final class BlockLruPod extends SimulatedPod<RecordedRequest> {
    private final int index;
    // Iteration order is recency: first = least recently used.
    private final LongLinkedOpenHashSet blocks;

    /** @param index this pod's index in its fleet (its prefill queue) */
    public BlockLruPod(String name, int index, int capacityBlocks) {
        super(name, capacityBlocks);
        this.index = index;
        this.blocks = new LongLinkedOpenHashSet(Math.min(capacityBlocks, 1 << 16));
    }

    public int index() {
        return index;
    }

    /** Blocks cached now. */
    public int size() {
        return blocks.size();
    }

    public boolean contains(long key) {
        return blocks.contains(key);
    }

    @Override
    public int cachedPrefixBlocks(RecordedRequest request) {
        long[] keys = request.blockKeys();
        int n = 0;
        while (n < keys.length && blocks.contains(keys[n])) {
            n++;
        }
        return n;
    }

    /** Answers the prompt's leading blocks that were cached, then caches its chain as the most recently used. */
    @Override
    public int serve(RecordedRequest request) {
        int hit = cachedPrefixBlocks(request);
        long[] keys = request.blockKeys();
        for (int i = Math.min(keys.length, capacityBlocks()) - 1; i >= 0; i--) {
            blocks.addAndMoveToLast(keys[i]);
        }
        // The prompt's blocks are the most recent and at most capacityBlocks: only other prompts' blocks go.
        while (blocks.size() > capacityBlocks()) {
            blocks.removeFirstLong();
        }
        return hit;
    }
}
