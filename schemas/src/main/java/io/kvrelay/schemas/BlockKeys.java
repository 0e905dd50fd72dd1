package io.kvrelay.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import net.openhft.hashing.LongHashFunction;

/**
 * kvrelay's own block keys: a chained 64-bit hash of (parent key, extra key, the block's token ids), computed the same
 * way by stream-app (from {@code BlockStored} token ids) and by the router (from a request's tokens). vLLM's block
 * hashes cannot be recomputed outside the engine, so these keys, not the engine's, are what the prefix index matches.
 *
 * <p><b>Definition (version 1)</b>, precise enough to reimplement elsewhere (see {@code schemas/BLOCK_KEYS.md} and the
 * vectors in {@code block-key-vectors.json}):
 * <pre>
 *   H(bytes)       = XXH3-64 (xxHash 0.8 "XXH3_64bits_withSeed") of bytes with seed SEED = 0x6b7672656c617931
 *   next(p, x, t)  = remap(H( le64(p) ++ le64(x) ++ le32(t[0]) ++ ... ++ le32(t[n-1]) ))     (16 + 4n bytes)
 *   extraKey(name) = 0 if name is null or empty, else remap(H(utf8(name)))
 *   remap(h)       = 1 if h == 0, else h
 *   chain          : k[0] = next(ROOT = 0, x, block 0), k[i] = next(k[i-1], x, block i); only full blocks
 * </pre>
 * {@code le64}/{@code le32} are two's-complement little-endian (a key is an unsigned 64-bit value; Java holds it in a
 * signed long, other languages should use uint64). Token ids are written as 32-bit values, so ids must fit in int32.
 * The seed is the ASCII bytes of {@code "kvrelay1"} read big-endian. Because of the remap, 0 is never a key, so
 * 0 can mean "no key" ({@link #NO_KEY}) and "no parent" ({@link #ROOT}); the remap costs one collision in 2^64.
 *
 * <p>Thread-safe and allocation-free on the per-block path. {@code BlockXxh3} computes H of the layout: for blocks of
 * up to 56 tokens (240 bytes) it reads the longs and the token array directly, with no byte copy, and gives the same
 * bits on every platform; longer blocks and {@link #extraKey} go through the zero-allocation-hashing library, which is
 * also the reference the direct path is tested against.
 */
public final class BlockKeys {
    /** The xxh3 seed: ASCII {@code "kvrelay1"} as a big-endian long. Changing it changes every key (a new version). */
    public static final long SEED = 0x6b7672656c617931L;
    /** Parent key of a prompt's first block. */
    public static final long ROOT = 0L;
    /** "No key": never returned by {@link #next}, since a hash of 0 is remapped to 1. */
    public static final long NO_KEY = 0L;

    private static final LongHashFunction XX3 = LongHashFunction.xx3(SEED);
    private static final int HEADER = 16;

    private BlockKeys() {
    }

    /**
     * The extra key of a LoRA adapter: 0 (none) for null or empty, else xxh3-64 (seed {@link #SEED}) of the name's
     * UTF-8 bytes, remapped so that a named adapter never gets 0. Allocates; cache it per adapter on hot paths.
     */
    public static long extraKey(String loraName) {
        if (loraName == null || loraName.isEmpty()) {
            return 0L;
        }
        return remap(XX3.hashBytes(loraName.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The key of one block, {@code tokens[from..to)}, whose parent block has {@code parentKey} ({@link #ROOT} for the
     * first block of a prompt). Never returns {@link #NO_KEY}. Does not allocate, except once per thread for a scratch
     * copy if a block is longer than 56 tokens.
     *
     * @throws IndexOutOfBoundsException if {@code [from, to)} is not inside {@code tokens}
     */
    public static long next(long parentKey, long extraKey, int[] tokens, int from, int to) {
        Objects.checkFromToIndex(from, to, tokens.length);
        int n = to - from;
        if (n > (Integer.MAX_VALUE - HEADER) / 4) {
            throw new IllegalArgumentException("block too large: " + n + " tokens");
        }
        // As in chain: vLLM's default block size as a constant lets the JIT drop the length dispatch.
        return remap(n == 16 ? BlockXxh3.hash(parentKey, extraKey, tokens, from, 16)
                : BlockXxh3.hash(parentKey, extraKey, tokens, from, n));
    }

    /**
     * Keys of the full blocks of {@code tokens}, chained from {@link #ROOT}, into {@code out[0..n)}; a trailing partial
     * block has no key (vLLM only caches full blocks). Returns n = min(tokens.length / blockSize, out.length).
     */
    public static int chain(int[] tokens, int blockSize, long extraKey, long[] out) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive: " + blockSize);
        }
        if (blockSize > (Integer.MAX_VALUE - HEADER) / 4) {
            throw new IllegalArgumentException("block too large: " + blockSize + " tokens");
        }
        int n = Math.min(tokens.length / blockSize, out.length);
        // Common block sizes as constants: the JIT then drops the length dispatch and, the token index being 16 * i
        // or 32 * i, the array bounds checks from the loop (about a quarter of the time per block).
        switch (blockSize) {
            case 16:
                return chainBlocks(tokens, 16, extraKey, out, n);
            case 32:
                return chainBlocks(tokens, 32, extraKey, out, n);
            default:
                return chainBlocks(tokens, blockSize, extraKey, out, n);
        }
    }

    private static int chainBlocks(int[] tokens, int blockSize, long extraKey, long[] out, int n) {
        long parent = ROOT;
        for (int i = 0; i < n; i++) {
            parent = remap(BlockXxh3.hash(parent, extraKey, tokens, i * blockSize, blockSize));
            out[i] = parent;
        }
        return n;
    }

    /** Convenience: the keys of every full block of a prompt for the given LoRA adapter (null for none). */
    public static long[] chain(int[] tokens, int blockSize, String loraName) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive: " + blockSize);
        }
        long[] out = new long[tokens.length / blockSize];
        chain(tokens, blockSize, extraKey(loraName), out);
        return out;
    }

    /** 16 lowercase hex digits, the unsigned form used by the published vectors and docs. */
    public static String toHex(long key) {
        String s = Long.toHexString(key);
        return "0".repeat(16 - s.length()) + s;
    }

    private static long remap(long h) {
        return h == 0L ? 1L : h;
    }
}
