package io.kvrelay.schemas;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
 *   S(text)        = 0 if text is null or empty, else remap(H(utf8(text)))       (extraKey(name) = S(name))
 *   remap(h)       = 1 if h == 0, else h
 *   x[i]           = S(lora)                                  if block i has no salt and no multimodal item, else
 *                    remap(H( le64(S(lora)) ++ le64(s[i]) ++ le64(S(id[1])) ++ ... ++ le64(S(id[m])) ))
 *   chain          : k[0] = next(ROOT = 0, x[0], block 0), k[i] = next(k[i-1], x[i], block i); only full blocks
 * </pre>
 * {@code s[0]} is {@code S(cache salt)} and {@code s[i > 0] = 0} (vLLM salts the first block only; later blocks
 * inherit it through the chain). {@code id[1..m]} are the identifiers of the multimodal items whose placeholder tokens
 * overlap block i, in prompt order ({@link Extras}). Without salt and items every {@code x[i]} is the LoRA key: such
 * prompts keep the keys they had before salts and multimodal items took part.
 * {@code le64}/{@code le32} are two's-complement little-endian (a key is an unsigned 64-bit value; Java holds it in a
 * signed long, other languages should use uint64). Token ids are written as 32-bit values, so ids must fit in int32.
 * The seed is the ASCII bytes of {@code "kvrelay1"} read big-endian. Because of the remap, 0 is never a key, so
 * 0 can mean "no key" ({@link #NO_KEY}) and "no parent" ({@link #ROOT}); the remap costs one collision in 2^64.
 *
 * <p>Thread-safe and allocation-free on the per-block path. {@code BlockXxh3} computes H of the layout: for blocks of
 * up to 56 tokens (240 bytes) it reads the longs and the token array directly, with no byte copy, and gives the same
 * bits on every platform; longer blocks, {@link #extraKey} and the salted or multimodal {@code x[i]} go through the
 * zero-allocation-hashing library, which is also the reference the direct path is tested against. A prompt without
 * salt and items takes exactly the path it took before they existed.
 */
public final class BlockKeys {
    /** The xxh3 seed: ASCII {@code "kvrelay1"} as a big-endian long. Changing it changes every key (a new version). */
    public static final long SEED = 0x6b7672656c617931L;
    /** Parent key of a prompt's first block. */
    public static final long ROOT = 0L;
    /** "No key": never returned by {@link #next}, since a hash of 0 is remapped to 1. */
    public static final long NO_KEY = 0L;

    private static final LongHashFunction XX3 = LongHashFunction.xx3(SEED);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int HEADER = 16;

    private BlockKeys() {
    }

    /**
     * The extra key of a LoRA adapter: 0 (none) for null or empty, else xxh3-64 (seed {@link #SEED}) of the name's
     * UTF-8 bytes, remapped so that a named adapter never gets 0. Allocates; cache it per adapter on hot paths.
     */
    public static long extraKey(String loraName) {
        return stringKey(loraName);
    }

    /**
     * {@code S(text)}: 0 for null or empty, else xxh3-64 (seed {@link #SEED}) of the UTF-8 bytes, remapped away from 0.
     * The same function for a LoRA name ({@link #extraKey}), a cache salt and a multimodal identifier. Allocates.
     */
    public static long stringKey(String text) {
        if (text == null || text.isEmpty()) {
            return 0L;
        }
        return remap(XX3.hashBytes(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@code x[i]} of one block: {@code loraKey} itself when the block has neither salt ({@code saltKey == 0}) nor
     * multimodal item ({@code count == 0}), else {@code remap(H(le64(loraKey) ++ le64(saltKey) ++ le64(idKeys[from])
     * ++ ... ++ le64(idKeys[from + count - 1])))}. The keys are {@link #stringKey}s; {@code idKeys} in prompt order.
     * Never 0 for a block with a salt or an item. Allocates a small buffer when there is something to mix.
     *
     * @throws IndexOutOfBoundsException if {@code [from, from + count)} is not inside {@code idKeys}
     */
    public static long blockExtra(long loraKey, long saltKey, long[] idKeys, int from, int count) {
        if (saltKey == 0L && count == 0) {
            return loraKey;
        }
        Objects.checkFromIndexSize(from, count, idKeys == null ? 0 : idKeys.length);
        byte[] buf = new byte[HEADER + 8 * count];
        LE64.set(buf, 0, loraKey);
        LE64.set(buf, 8, saltKey);
        for (int j = 0; j < count; j++) {
            LE64.set(buf, HEADER + 8 * j, idKeys[from + j]);
        }
        return remap(XX3.hashBytes(buf));
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
        checkBlockSize(blockSize);
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

    /**
     * {@link #chain(int[], int, long, long[])} with a prompt's salt and multimodal items: block i gets
     * {@code x[i]} (see the class comment). Without salt and items it is that very call, with the LoRA key; null
     * extras are {@link Extras#NONE}.
     */
    public static int chain(int[] tokens, int blockSize, Extras extras, long[] out) {
        if (extras == null || extras.plain()) {
            return chain(tokens, blockSize, extras == null ? 0L : extras.loraKey, out);
        }
        checkBlockSize(blockSize);
        int n = Math.min(tokens.length / blockSize, out.length);
        long parent = ROOT;
        int first = 0; // the first item that does not end before the current block
        for (int i = 0, start = 0; i < n; i++, start += blockSize) {
            int end = start + blockSize;
            while (first < extras.offsets.length && extras.offsets[first] + extras.lengths[first] <= start) {
                first++;
            }
            // Items are sorted and disjoint: those overlapping [start, end) are first, first + 1, ... up to one
            // that starts at or after end.
            int count = 0;
            while (first + count < extras.offsets.length && extras.offsets[first + count] < end) {
                count++;
            }
            long salt = i == 0 ? extras.saltKey : 0L;
            // blockExtra without its buffer: le64(k) is le32(low) ++ le32(high), so the identifier keys as int pairs
            // make the same bytes as a block of 2 * count "tokens" behind the (LoRA, salt) header.
            long x = salt == 0L && count == 0 ? extras.loraKey
                    : remap(BlockXxh3.hash(extras.loraKey, salt, extras.idWords, 2 * first, 2 * count));
            parent = remap(blockSize == 16 ? BlockXxh3.hash(parent, x, tokens, start, 16)
                    : BlockXxh3.hash(parent, x, tokens, start, blockSize));
            out[i] = parent;
        }
        return n;
    }

    /** Convenience: the keys of every full block of a prompt for the given LoRA adapter (null for none). */
    public static long[] chain(int[] tokens, int blockSize, String loraName) {
        checkBlockSize(blockSize);
        long[] out = new long[tokens.length / blockSize];
        chain(tokens, blockSize, extraKey(loraName), out);
        return out;
    }

    /** Convenience: the keys of every full block of a prompt with its extra keys. */
    public static long[] keys(int[] tokens, int blockSize, Extras extras) {
        checkBlockSize(blockSize);
        long[] out = new long[tokens.length / blockSize];
        chain(tokens, blockSize, extras, out);
        return out;
    }

    /** 16 lowercase hex digits, the unsigned form used by the published vectors and docs. */
    public static String toHex(long key) {
        String s = Long.toHexString(key);
        return "0".repeat(16 - s.length()) + s;
    }

    private static void checkBlockSize(int blockSize) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive: " + blockSize);
        }
        if (blockSize > (Integer.MAX_VALUE - HEADER) / 4) {
            throw new IllegalArgumentException("block too large: " + blockSize + " tokens");
        }
    }

    private static long remap(long h) {
        return h == 0L ? 1L : h;
    }

    /**
     * One multimodal item of a prompt (an image, an audio clip, ...): vLLM's identifier of its content and the span of
     * its placeholder tokens in the prompt, {@code [offset, offset + length)}.
     *
     * @param identifier vLLM's {@code mm_feature.identifier}: the item's mm hash as vLLM prints it (or the UUID the
     *                   client gave in {@code multi_modal_uuids}), exactly as the KV events carry it
     * @param offset     index of the item's first placeholder token in the prompt
     * @param length     number of placeholder tokens
     * @throws IllegalArgumentException for an empty or overlong identifier, a negative offset or a length below 1
     */
    public record MmItem(String identifier, int offset, int length) {
        public MmItem {
            if (identifier == null || identifier.isEmpty()) {
                throw new IllegalArgumentException("identifier is required (a non-empty string)");
            }
            if (identifier.length() > Extras.MAX_TEXT) {
                throw new IllegalArgumentException("identifier is longer than " + Extras.MAX_TEXT + " characters");
            }
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, got " + offset);
            }
            if (length <= 0) {
                throw new IllegalArgumentException("length must be >= 1, got " + length);
            }
            if ((long) offset + length > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("offset + length must fit in an int");
            }
        }
    }

    /**
     * A prompt's extra keys, validated and hashed once: the LoRA adapter, the cache salt (vLLM's {@code cache_salt},
     * taking part in the first block only) and the multimodal items, sorted by offset. Immutable, thread-safe.
     */
    public static final class Extras {
        /** Most multimodal items in one prompt. */
        public static final int MAX_ITEMS = 1024;
        /** Longest salt or identifier, in characters. */
        public static final int MAX_TEXT = 1024;
        /** No LoRA, no salt, no item. */
        public static final Extras NONE = new Extras(null, 0L, 0L, List.of());

        private final String loraName;
        private final long loraKey;
        private final long saltKey;
        private final List<MmItem> items;
        private final int[] offsets;
        private final int[] lengths;
        /** The items' {@code S(identifier)} as little-endian int pairs (low word first), for {@link BlockXxh3}. */
        private final int[] idWords;

        private Extras(String loraName, long loraKey, long saltKey, List<MmItem> sorted) {
            this.loraName = loraName;
            this.loraKey = loraKey;
            this.saltKey = saltKey;
            this.items = sorted;
            offsets = new int[sorted.size()];
            lengths = new int[sorted.size()];
            idWords = new int[2 * sorted.size()];
            for (int i = 0; i < offsets.length; i++) {
                MmItem m = sorted.get(i);
                offsets[i] = m.offset();
                lengths[i] = m.length();
                long idKey = stringKey(m.identifier());
                idWords[2 * i] = (int) idKey;
                idWords[2 * i + 1] = (int) (idKey >>> 32);
            }
        }

        /** Only a LoRA adapter (null for none): the extras every prompt had before salts and items. */
        public static Extras lora(String loraName) {
            return loraName == null || loraName.isEmpty() ? NONE : new Extras(loraName, extraKey(loraName), 0L,
                    List.of());
        }

        /**
         * @param loraName  the LoRA adapter, or null
         * @param cacheSalt vLLM's {@code cache_salt}, or null; empty means none (vLLM ignores an empty salt)
         * @param mm        the prompt's multimodal items in any order, or null; they must not overlap
         * @throws IllegalArgumentException naming the field: a salt over {@link #MAX_TEXT} characters, more than
         *                                  {@link #MAX_ITEMS} items, a null item, or two items that overlap
         */
        public static Extras of(String loraName, String cacheSalt, List<MmItem> mm) {
            if (cacheSalt != null && cacheSalt.length() > MAX_TEXT) {
                throw new IllegalArgumentException("cacheSalt is longer than " + MAX_TEXT + " characters");
            }
            if (mm != null && mm.size() > MAX_ITEMS) {
                throw new IllegalArgumentException("at most " + MAX_ITEMS + " multimodal items, got " + mm.size());
            }
            List<MmItem> sorted = new ArrayList<>(mm == null ? 0 : mm.size());
            if (mm != null) {
                for (int i = 0; i < mm.size(); i++) {
                    if (mm.get(i) == null) {
                        throw new IllegalArgumentException("multimodal[" + i + "] must be an object");
                    }
                    sorted.add(mm.get(i));
                }
            }
            sorted.sort(Comparator.comparingInt(MmItem::offset)); // stable: equal offsets overlap and fail below
            for (int i = 1; i < sorted.size(); i++) {
                MmItem a = sorted.get(i - 1);
                MmItem b = sorted.get(i);
                if (b.offset() < a.offset() + a.length()) {
                    throw new IllegalArgumentException("multimodal items overlap: '" + a.identifier() + "' at "
                            + a.offset() + "+" + a.length() + " and '" + b.identifier() + "' at " + b.offset());
                }
            }
            long salt = stringKey(cacheSalt);
            if (salt == 0L && sorted.isEmpty()) {
                return lora(loraName);
            }
            String lora = loraName == null || loraName.isEmpty() ? null : loraName;
            return new Extras(lora, extraKey(lora), salt, List.copyOf(sorted));
        }

        /** @throws IllegalArgumentException when an item's tokens reach past a prompt of {@code promptTokens} */
        public void requireWithin(int promptTokens) {
            for (MmItem m : items) {
                if ((long) m.offset() + m.length() > promptTokens) {
                    throw new IllegalArgumentException("multimodal item '" + m.identifier() + "' spans tokens "
                            + m.offset() + ".." + (m.offset() + m.length()) + " past the prompt's " + promptTokens);
                }
            }
        }

        /** No salt and no item: every block's extra key is the LoRA key. */
        public boolean plain() {
            return saltKey == 0L && offsets.length == 0;
        }

        /** The LoRA adapter, or null. */
        public String loraName() {
            return loraName;
        }

        /** {@code S(lora)}, 0 without an adapter. */
        public long loraKey() {
            return loraKey;
        }

        /** Whether a non-empty cache salt takes part. */
        public boolean salted() {
            return saltKey != 0L;
        }

        /** The multimodal items, sorted by offset. */
        public List<MmItem> items() {
            return items;
        }
    }
}
