package io.kvrelay.sim.cache;

import io.kvrelay.sim.wire.SimEvent;
import java.util.List;

/**
 * What serving one prompt did to a worker's cache: the events of the step (BlockRemoved for evictions, then one
 * BlockStored for the new blocks; empty on a full hit) and the block counts behind them.
 *
 * @param promptBlocks full blocks in the prompt that fit the cache (a partial last block is never cached)
 * @param hitBlocks    leading blocks already cached (the prefix-cache hit)
 */
public record ServeResult(List<SimEvent> events, int promptBlocks, int hitBlocks, int storedBlocks,
                          int evictedBlocks) {
    public ServeResult {
        events = List.copyOf(events);
    }
}
