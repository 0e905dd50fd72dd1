package io.kvrelay.launcher.bench;

import io.kvrelay.policies.RoutedRequest;
import io.kvrelay.schemas.BlockKeys;
import java.util.Objects;

/**
 * One request of the pre-generated stream, replayed identically for every policy.
 *
 * @param index     position in the stream (0-based)
 * @param userId    the user (conversation) it belongs to; null when unknown (a trace without sessions): no sticky link
 * @param arrivalMs when it arrives, ms after the start of the run
 */
public record BenchRequest(int index, String service, String userId, int[] tokens, String lora, int turn,
                           double arrivalMs, int outputTokens) implements RoutedRequest {
    public BenchRequest {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(tokens, "tokens");
        if (index < 0 || arrivalMs < 0 || outputTokens < 0 || turn < 0) {
            throw new IllegalArgumentException("index, arrivalMs, outputTokens and turn must be >= 0");
        }
    }

    /** Full 16-token blocks of the prompt: the denominator of the hit rate. */
    @Override
    public int promptBlocks() {
        return tokens.length / WorkloadSpec.BLOCK_SIZE;
    }

    @Override
    public long firstBlockKey() {
        return promptBlocks() == 0 ? BlockKeys.NO_KEY
                : BlockKeys.next(BlockKeys.ROOT, BlockKeys.extraKey(lora), tokens, 0, WorkloadSpec.BLOCK_SIZE);
    }

    @Override
    public double timeMs() {
        return arrivalMs;
    }
}
