package io.kvrelay.sim.metrics;

/**
 * A snapshot of one worker for {@code /metrics} and for tests.
 *
 * @param usage              cached blocks / capacity (vLLM's {@code kv_cache_usage_perc}, a 0..1 fraction)
 * @param prefixQueryTokens  tokens of full prompt blocks looked up in the prefix cache
 * @param prefixHitTokens    of those, tokens found cached
 * @param published          batches published over all epochs
 */
public record WorkerMetrics(int rank, int running, int waiting, int cachedBlocks, int capacityBlocks, double usage,
                            long requests, long prefixQueryTokens, long prefixHitTokens, long published) {
}
