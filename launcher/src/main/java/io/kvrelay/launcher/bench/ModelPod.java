package io.kvrelay.launcher.bench;

import io.kvrelay.sim.cache.BlockHasher;
import io.kvrelay.sim.cache.KvCacheModel;
import io.kvrelay.sim.cache.ServeResult;
import java.util.PriorityQueue;

/**
 * One simulated pod without sockets, for the in-process runs: the simulator's own {@link KvCacheModel} (the model a
 * {@code SimPod} runs, same capacity and hash seed) plus the finish times of its requests in flight on the simulated
 * clock. Not thread-safe.
 */
public final class ModelPod implements PodView {
    private final String name;
    private final KvCacheModel cache;
    private final PriorityQueue<Double> finishes = new PriorityQueue<>();

    public ModelPod(String name, int capacityBlocks, long hashSeed) {
        this.name = name;
        this.cache = new KvCacheModel(capacityBlocks, WorkloadSpec.BLOCK_SIZE, new BlockHasher(hashSeed));
    }

    @Override
    public String name() {
        return name;
    }

    /** Moves the pod's clock to {@code nowMs}: requests finished by then leave. */
    public void advanceTo(double nowMs) {
        while (!finishes.isEmpty() && finishes.peek() <= nowMs) {
            finishes.poll();
        }
    }

    @Override
    public int inFlight() {
        return finishes.size();
    }

    @Override
    public int cachedPrefixBlocks(BenchRequest request) {
        int[] tokens = request.tokens();
        int bs = cache.blockSize();
        // Same bound as KvCacheModel.serve: a prompt longer than the cache only ever caches its first blocks.
        int n = Math.min(tokens.length / bs, cache.capacityBlocks());
        BlockHasher hasher = cache.hasher();
        long parent = hasher.root();
        for (int i = 0; i < n; i++) {
            long h = hasher.hash(parent, tokens, i * bs, (i + 1) * bs, request.lora());
            if (!cache.contains(h)) {
                return i;
            }
            parent = h;
        }
        return n;
    }

    /** Serves the prompt on the cache model; returns the blocks that were already cached. */
    public int serve(BenchRequest request) {
        ServeResult r = cache.serve(request.tokens(), request.lora());
        return r.hitBlocks();
    }

    /** The request occupies the pod until {@code finishMs}. */
    public void hold(double finishMs) {
        finishes.add(finishMs);
    }
}
