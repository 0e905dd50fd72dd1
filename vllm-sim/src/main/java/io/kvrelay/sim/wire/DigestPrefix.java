package io.kvrelay.sim.wire;

/**
 * Supplies the first 24 bytes of a 32-byte digest whose last 8 bytes are a given 64-bit hash, for
 * {@link HashEncoding#BYTES}. vLLM sends a real SHA-256 digest; consumers only look at 8 of its bytes (llm-d the last
 * 8, AIBrix the first 8), so the simulator just needs the prefix to be deterministic and digest-like.
 */
@FunctionalInterface
public interface DigestPrefix {
    /** Length of the prefix: a SHA-256 digest (32 bytes) minus the 8 bytes of the hash. */
    int LENGTH = 24;

    /** Writes {@link #LENGTH} bytes into {@code prefix} (length 24) for {@code hash}. */
    void fill(long hash, byte[] prefix);

    /** Pseudo-random bytes derived from the hash (SplitMix64 steps), so equal hashes give equal digests. */
    DigestPrefix MIXED = (hash, prefix) -> {
        long state = hash;
        for (int i = 0; i < LENGTH; i += 8) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int b = 0; b < 8; b++) {
                prefix[i + b] = (byte) (z >>> (56 - 8 * b));
            }
        }
    };

    /** All-zero prefix: the digest is the hash left-padded, the form a u64 takes when widened to 32 bytes. */
    DigestPrefix ZEROS = (hash, prefix) -> java.util.Arrays.fill(prefix, (byte) 0);
}
