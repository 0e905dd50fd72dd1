package io.kvrelay.sim.cache;

import java.util.Arrays;
import java.util.Objects;

/**
 * One block in a worker's cache, as ground truth: its hash, its parent's hash (null at the start of a prefix), its
 * tokens and the LoRA adapter it was computed under (null for the base model).
 */
public record CachedBlock(long hash, Long parent, int[] tokenIds, String lora) {
    public CachedBlock {
        Objects.requireNonNull(tokenIds, "tokenIds");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachedBlock b && hash == b.hash && Objects.equals(parent, b.parent)
                && Arrays.equals(tokenIds, b.tokenIds) && Objects.equals(lora, b.lora);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hash) * 31 + Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
        return "CachedBlock[" + Long.toUnsignedString(hash) + " <- "
                + (parent == null ? "root" : Long.toUnsignedString(parent)) + ", " + tokenIds.length + " tokens"
                + (lora == null ? "" : ", lora=" + lora) + "]";
    }
}
