package io.kvrelay.sim.metrics;

/**
 * A snapshot of one worker for {@code /metrics} and for tests.
 *
 * @param cachedBlocks       blocks in the prefix cache (what the worker's KV events describe), referenced or not
 * @param heldBlocks         blocks held by the requests running on the worker, each its prompt's blocks (at most the
 *                           capacity); a prefix two of them share counts twice here, once in vLLM
 * @param usage              vLLM's {@code kv_cache_usage_perc}, a 0..1 fraction: {@code heldBlocks / capacityBlocks},
 *                           at most 1. vLLM v1 reports {@code 1 - free / total} blocks, and a cached block no running
 *                           request references sits in its free queue (evictable), so a warm but idle cache reads 0
 * @param prefixQueryTokens  tokens of full prompt blocks looked up in the prefix cache
 * @param prefixHitTokens    of those, tokens found cached
 * @param published          batches published over all epochs
 */
public record WorkerMetrics(int rank, int running, int waiting, int cachedBlocks, int heldBlocks, int capacityBlocks,
                            double usage, long requests, long prefixQueryTokens, long prefixHitTokens,
                            long published) {
}
