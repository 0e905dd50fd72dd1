package io.kvrelay.sim.cache;

/**
 * The simulated engine's block hash: a seeded 64-bit mix of (parent hash, block tokens, LoRA name), chained from a
 * seed-derived root the way vLLM chains from {@code NONE_HASH}. vLLM's real hashes (SHA-256 of CBOR) are opaque to
 * consumers, which map them to their own keys, so any deterministic chained hash exercises the same code paths.
 *
 * <p>The seed plays the role of {@code PYTHONHASHSEED}: pods with the same seed give the same hash to the same prefix,
 * as a fleet configured alike does.
 */
public final class BlockHasher {
    private final long seed;
    private final long root;

    public BlockHasher(long seed) {
        this.seed = seed;
        this.root = fmix(seed ^ 0x6E6F6E652D686173L);
    }

    /** The parent used for the first block of a prefix (vLLM's {@code NONE_HASH}); never sent on the wire. */
    public long root() {
        return root;
    }

    public long seed() {
        return seed;
    }

    /** Hash of the block {@code tokens[from, to)} whose parent has hash {@code parent}, under {@code lora} or none. */
    public long hash(long parent, int[] tokens, int from, int to, String lora) {
        long h = fmix(parent ^ seed) + (to - from);
        for (int i = from; i < to; i++) {
            h = (h ^ (tokens[i] & 0xFFFFFFFFL)) * 0x9E3779B97F4A7C15L;
            h = Long.rotateLeft(h, 29);
        }
        if (lora != null) {
            // LoRA is an extra key in vLLM's hash input, so the same tokens under two adapters never share a block.
            h ^= fmix(lora.hashCode() * 0xC2B2AE3D27D4EB4FL + lora.length());
        }
        return fmix(h);
    }

    /** MurmurHash3's 64-bit finaliser: every input bit affects every output bit. */
    static long fmix(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return k;
    }
}
