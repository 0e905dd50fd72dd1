package io.kvrelay.sim;

import io.kvrelay.sim.zmq.PublishedBatch;
import java.util.Optional;

/**
 * One prompt served on a simulated worker, as its cache model counted it: the ground truth a caller needs instead of
 * inferring hits from the published batch.
 *
 * @param cacheableBlocks full blocks of the prompt that fit the cache (what a running request holds)
 * @param hitBlocks       leading blocks the cache already held
 * @param storedBlocks    blocks the step stored
 * @param batch           the batch published for the step; empty on a full hit
 */
public record ServedPrompt(int cacheableBlocks, int hitBlocks, int storedBlocks, Optional<PublishedBatch> batch) {
}
