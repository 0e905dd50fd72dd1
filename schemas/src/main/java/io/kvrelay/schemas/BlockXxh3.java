package io.kvrelay.schemas;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;
import net.openhft.hashing.LongHashFunction;

/**
 * XXH3-64 with seed {@link BlockKeys#SEED} ({@code XXH3_64bits_withSeed}, xxHash 0.8) of a block's byte layout
 * {@code le64(parent) ++ le64(extra) ++ le32(tokens...)}. For blocks of up to 56 tokens it reads the two longs and the
 * {@code int[]} directly: copying the layout into a byte[] for the library cost about as much as the hash itself.
 *
 * <p>The direct path is written from the xxHash specification ({@code doc/xxhash_spec.md}) for the lengths this layout
 * has up to 240 bytes, 16 + 4n: n = 0 is the 9-16 byte case, n = 1..28 the 17-128 byte case, n = 29..56 the 129-240
 * byte case (all three use the default secret with the seed added in each mix step). The 0-8 byte cases cannot occur.
 * Longer blocks (n >= 57, the long-input case with a seed-derived secret) go through zero-allocation-hashing on a
 * per-thread copy: there the hash dominates and skipping the copy gained nothing measurable. {@code BlockXxh3Test}
 * checks bit-identity with {@code LongHashFunction.xx3(SEED)} in every length class.
 *
 * <p>Thread-safe; allocation-free except when a thread first needs a larger scratch. Returns the raw hash;
 * {@link BlockKeys} applies the remap.
 */
final class BlockXxh3 {
    private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME_MX1 = 0x165667919E3779F9L;
    private static final long LOW32 = 0xFFFFFFFFL;
    private static final int HEADER = 16;
    /** Longest block hashed directly: 16 + 4 * 56 = 240 bytes, the end of XXH3's mid-size range. */
    private static final int MAX_DIRECT_TOKENS = 56;

    /** The spec's 192-byte default secret. */
    private static final byte[] SECRET = HexFormat.of().parseHex(""
            + "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
            + "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
            + "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
            + "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
            + "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
            + "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e");
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    // Up to 240 bytes each mix step reads 16 secret bytes at offset o and adds/subtracts the seed, so the seeded words
    // are precomputed for every offset: LO[o] = secret64(o) + seed, HI[o] = secret64(o + 8) - seed.
    private static final long[] LO = new long[SECRET.length - 15];
    private static final long[] HI = new long[SECRET.length - 15];
    // The two seeded words of the spec's 9-16 byte case (n = 0).
    private static final long SMALL_LO = (secret64(24) ^ secret64(32)) + BlockKeys.SEED;
    private static final long SMALL_HI = (secret64(40) ^ secret64(48)) - BlockKeys.SEED;

    private static final LongHashFunction XX3 = LongHashFunction.xx3(BlockKeys.SEED);
    /** Layout copies for the library path; room for 128 tokens before a thread's first growth. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[HEADER + 4 * 128]);

    static {
        for (int o = 0; o < LO.length; o++) {
            LO[o] = secret64(o) + BlockKeys.SEED;
            HI[o] = secret64(o + 8) - BlockKeys.SEED;
        }
    }

    private BlockXxh3() {
    }

    private static long secret64(int offset) {
        return (long) LE64.get(SECRET, offset);
    }

    /** XXH3-64 (seed {@link BlockKeys#SEED}) of the layout of {@code tokens[from..from+n)}; the caller checks bounds. */
    static long hash(long parent, long extra, int[] tokens, int from, int n) {
        if (n > MAX_DIRECT_TOKENS) {
            return viaLibrary(parent, extra, tokens, from, n);
        }
        if (n > 28) {
            return len132to240(parent, extra, tokens, from, n);
        }
        if (n >= 8) {
            return len48to128(parent, extra, tokens, from, n);
        }
        return n == 0 ? len16(parent, extra) : len20to44(parent, extra, tokens, from, n);
    }

    /** Tokens {@code t[i]} and {@code t[i + 1]} as the little-endian 64-bit word they make in the layout. */
    private static long pair(int[] t, int i) {
        return (t[i] & LOW32) | ((long) t[i + 1] << 32);
    }

    /** The spec's mixStep over {@code t[i..i+4)} (16 bytes) with the seeded secret at byte {@code s}. */
    private static long mixTokens(int[] t, int i, int s) {
        return fold(pair(t, i) ^ LO[s], pair(t, i + 2) ^ HI[s]);
    }

    /** The mixStep of the 16-byte header (parent, extra) always uses secret bytes 0..16. */
    private static long mixHeader(long parent, long extra) {
        return fold(parent ^ LO[0], extra ^ HI[0]);
    }

    /** n = 0, 16 bytes: the spec's 9-16 byte case, first word = parent, last word = extra. */
    private static long len16(long parent, long extra) {
        long lo = SMALL_LO ^ parent;
        long hi = SMALL_HI ^ extra;
        return avalanche(HEADER + Long.reverseBytes(lo) + hi + fold(lo, hi));
    }

    /**
     * n = 8..28, 48-128 bytes: the spec's 17-128 byte loop unrolled, outermost pair first (the sum does not depend
     * on the order). Every 16-byte chunk but the first is whole tokens, so it is read straight from the array.
     */
    private static long len48to128(long parent, long extra, int[] t, int from, int n) {
        int end = from + n;
        long acc = (HEADER + 4 * n) * PRIME64_1;
        if (n > 12) {
            if (n > 20) {
                acc += mixTokens(t, from + 8, 96);
                acc += mixTokens(t, end - 16, 112);
            }
            acc += mixTokens(t, from + 4, 64);
            acc += mixTokens(t, end - 12, 80);
        }
        acc += mixTokens(t, from, 32);
        acc += mixTokens(t, end - 8, 48);
        acc += mixHeader(parent, extra);
        acc += mixTokens(t, end - 4, 16);
        return avalanche(acc);
    }

    /**
     * n = 1..7, 20-44 bytes (17-128 byte case): a chunk counted from the end may straddle the header, so those are
     * read word by word at their byte offset in the layout. Rare block sizes; kept simple rather than fast.
     */
    private static long len20to44(long parent, long extra, int[] t, int from, int n) {
        int len = HEADER + 4 * n;
        long acc = len * PRIME64_1;
        if (len > 32) {
            acc += mixTokens(t, from, 32);
            acc += mixAt(parent, extra, t, from, len - 32, 48);
        }
        acc += mixHeader(parent, extra);
        acc += mixAt(parent, extra, t, from, len - 16, 16);
        return avalanche(acc);
    }

    /** The mixStep of the 16 bytes at byte {@code p} (4..28, a multiple of 4) of the layout, secret at {@code s}. */
    private static long mixAt(long parent, long extra, int[] t, int from, int p, int s) {
        return fold(wordAt(parent, extra, t, from, p) ^ LO[s], wordAt(parent, extra, t, from, p + 8) ^ HI[s]);
    }

    /** The little-endian word at byte {@code p} (4..36, a multiple of 4) of a layout with at least one token. */
    private static long wordAt(long parent, long extra, int[] t, int from, int p) {
        switch (p) {
            case 4:
                return (parent >>> 32) | (extra << 32);
            case 8:
                return extra;
            case 12:
                return (extra >>> 32) | ((long) t[from] << 32);
            default:
                return pair(t, from + ((p - HEADER) >> 2));
        }
    }

    /** n = 29..56, 132-240 bytes: chunk c >= 1 starts at token 4(c - 1). The first eight chunks are unrolled. */
    private static long len132to240(long parent, long extra, int[] t, int from, int n) {
        int len = HEADER + 4 * n;
        long acc = len * PRIME64_1 + mixHeader(parent, extra);
        acc += mixTokens(t, from, 16);
        acc += mixTokens(t, from + 4, 32);
        acc += mixTokens(t, from + 8, 48);
        acc += mixTokens(t, from + 12, 64);
        acc += mixTokens(t, from + 16, 80);
        acc += mixTokens(t, from + 20, 96);
        acc += mixTokens(t, from + 24, 112);
        acc = avalanche(acc);
        int chunks = len >> 4;
        for (int c = 8; c < chunks; c++) {
            acc += mixTokens(t, from + 4 * (c - 1), 16 * (c - 8) + 3);
        }
        acc += mixTokens(t, from + n - 4, 119);
        return avalanche(acc);
    }

    /** n >= 57, over 240 bytes: the layout copied little-endian into the thread's scratch and hashed by the library. */
    private static long viaLibrary(long parent, long extra, int[] t, int from, int n) {
        int len = HEADER + 4 * n;
        byte[] buf = SCRATCH.get();
        if (buf.length < len) {
            buf = new byte[len];
            SCRATCH.set(buf);
        }
        LE64.set(buf, 0, parent);
        LE64.set(buf, 8, extra);
        for (int i = from, p = HEADER; p < len; i++, p += 4) {
            LE32.set(buf, p, t[i]);
        }
        return XX3.hashBytes(buf, 0, len);
    }

    /** Low half xor high half of the unsigned 128-bit product (Java 17 has only the signed multiplyHigh). */
    private static long fold(long a, long b) {
        long hi = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
        return (a * b) ^ hi;
    }

    private static long avalanche(long h) {
        h ^= h >>> 37;
        h *= PRIME_MX1;
        return h ^ (h >>> 32);
    }
}
