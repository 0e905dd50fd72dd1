package io.kvrelay.launcher.bench;

import io.kvrelay.policies.SimulatedPod;
import io.kvrelay.sim.cache.BlockHasher;
import io.kvrelay.sim.cache.KvCacheModel;
import io.kvrelay.sim.cache.ServeResult;

/**
 * One simulated pod without sockets, for the in-process runs: the simulator's own {@link KvCacheModel} (the model a
 * {@code SimPod} runs, same capacity and hash seed) plus its requests in flight on the simulated clock. Its KV usage
 * is the blocks of the requests in flight, as a {@code SimPod} reports it. Not thread-safe.
 */
public final class ModelPod extends SimulatedPod<BenchRequest> {
    private final KvCacheModel cache;

    public ModelPod(String name, int capacityBlocks, long hashSeed) {
        super(name, capacityBlocks);
        this.cache = new KvCacheModel(capacityBlocks, WorkloadSpec.BLOCK_SIZE, new BlockHasher(hashSeed));
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

    @Override
    public int serve(BenchRequest request) {
        ServeResult r = cache.serve(request.tokens(), request.lora());
        return r.hitBlocks();
    }
}
