package io.kvrelay.sim.serving;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic stand-in for a model's tokenizer: text to token ids the same way in every process, so routers and
 * tests can compute what a pod will cache. Each piece is tokenized on its own, so text that extends a prompt at a
 * piece boundary (the chat template ends every prompt with a newline) tokenizes to that prompt's tokens followed by
 * more: turn 2 of a chat starts with exactly turn 1's prompt tokens, which is what makes its prefix hit the cache.
 *
 * <p>Pieces: the ChatML specials first (fixed ids), then a run of letters, a run of digits, a single other
 * non-space character, or a single whitespace character. A piece's id is {@code 1000 + FNV-1a-64(UTF-8) mod 31000};
 * ids below 1000 are reserved for specials. Hash collisions are allowed, as a real vocabulary merges pieces too.
 */
public final class SimTokenizer {
    public static final int VOCAB_SIZE = 32_000;
    public static final String IM_START_TEXT = "<|im_start|>";
    public static final String IM_END_TEXT = "<|im_end|>";
    public static final int IM_START = 1;
    public static final int IM_END = 2;
    /** The first id a hashed piece may take; below it only specials. */
    public static final int FIRST_PIECE_ID = 1000;

    private static final Pattern PIECES = Pattern.compile(Pattern.quote(IM_START_TEXT) + "|"
            + Pattern.quote(IM_END_TEXT) + "|\\p{L}+|\\p{N}+|\\s|[^\\s\\p{L}\\p{N}]");
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private SimTokenizer() {
    }

    /** The token ids of {@code text}; every character belongs to exactly one piece, so nothing is dropped. */
    public static int[] encode(String text) {
        int[] out = new int[Math.max(8, text.length())];
        int n = 0;
        Matcher m = PIECES.matcher(text);
        while (m.find()) {
            out[n++] = pieceId(m.group());
        }
        return Arrays.copyOf(out, n);
    }

    /** The id of one piece as {@link #encode} assigns it (specials by name, the rest by hash). */
    public static int pieceId(String piece) {
        if (piece.equals(IM_START_TEXT)) {
            return IM_START;
        }
        if (piece.equals(IM_END_TEXT)) {
            return IM_END;
        }
        return FIRST_PIECE_ID + (int) Long.remainderUnsigned(fnv1a(piece), VOCAB_SIZE - FIRST_PIECE_ID);
    }

    /**
     * The text of a token the simulator can produce: a special, or a generated word ({@link CompletionWords}). Text
     * pieces of prompts are not reversible (the ids are hashes), and the simulator never needs them back.
     *
     * @throws IllegalArgumentException for any other id
     */
    public static String decode(int id) {
        if (id == IM_START) {
            return IM_START_TEXT;
        }
        if (id == IM_END) {
            return IM_END_TEXT;
        }
        String word = CompletionWords.text(id);
        if (word == null) {
            throw new IllegalArgumentException("token " + id + " is not a generated token");
        }
        return word;
    }

    /** True when {@code id} is a valid token id of the vocabulary (prompts given as ids are checked with it). */
    public static boolean inVocabulary(int id) {
        return id >= 0 && id < VOCAB_SIZE;
    }

    static long fnv1a(String s) {
        long h = FNV_OFFSET;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }

    /** FNV-1a over token ids (4 bytes each, little end first): a stable seed for a prompt's generated text. */
    static long fnv1a(int[] tokens) {
        long h = FNV_OFFSET;
        for (int t : tokens) {
            for (int shift = 0; shift < 32; shift += 8) {
                h ^= (t >>> shift) & 0xff;
                h *= FNV_PRIME;
            }
        }
        return h;
    }
}
