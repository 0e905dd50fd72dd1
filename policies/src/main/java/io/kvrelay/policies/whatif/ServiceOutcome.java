package io.kvrelay.policies.whatif;

/**
 * One policy's figures in one service. Rates and times are null without requests (or without prompt blocks).
 *
 * @param service   {@code namespace/service}
 * @param hitRate   Σ leading prompt blocks the chosen pod had cached ÷ Σ prompt blocks
 * @param meanTtftMs mean modelled time to first token
 * @param p99TtftMs nearest-rank 99th percentile of the modelled time to first token
 */
public record ServiceOutcome(String policy, String service, int requests, long promptBlocks, long hitBlocks,
                             Double hitRate, Double meanTtftMs, Double p99TtftMs) {
}
