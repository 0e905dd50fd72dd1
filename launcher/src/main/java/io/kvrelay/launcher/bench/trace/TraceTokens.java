package io.kvrelay.launcher.bench.trace;

/**
 * Turns a trace record into prompt token ids the pipeline can route. A trace carries no text, only one hash id per
 * 512-token block, and equal leading ids mean an equal prefix; so each id h stands for 512 tokens that depend only on
 * h and the position in the block (a seeded mix, vocabulary 32,000). Equal ids then give equal tokens and so equal
 * kvrelay block keys (16-token blocks, 32 per hash block), different ids different ones. The prompt is the ids'
 * blocks in order, cut to {@code input_length}; a prompt longer than its ids cover is padded with tokens of the
 * request's own, which no other request shares.
 */
public final class TraceTokens {
    public static final int VOCAB = 32_000;
    /** Domains of the mix: a hash block's tokens and a request's padding never draw from the same stream. */
    private static final long BLOCK_SALT = 0x6b76_7265_6c61_7901L;
    private static final long PADDING_SALT = 0x7061_6464_696e_6702L;

    private TraceTokens() {
    }

    /** The prompt of {@code record}, the {@code requestIndex}-th request of the stream (it seeds the padding). */
    public static int[] tokens(TraceRecord record, int requestIndex) {
        int n = record.inputLength();
        int[] out = new int[n];
        int[] ids = record.hashIds();
        int covered = Math.min(n, ids.length * TraceRecord.BLOCK_TOKENS);
        for (int i = 0; i < covered; i++) {
            out[i] = token(BLOCK_SALT, ids[i / TraceRecord.BLOCK_TOKENS], i % TraceRecord.BLOCK_TOKENS);
        }
        for (int i = covered; i < n; i++) {
            out[i] = token(PADDING_SALT, requestIndex, i);
        }
        return out;
    }

    private static int token(long salt, long stream, int position) {
        return (int) Math.floorMod(mix(salt ^ mix(stream * 0x9E37_79B9_7F4A_7C15L + position)), VOCAB);
    }

    /** A 64-bit finaliser (xor-shift-multiply rounds): neighbouring inputs give unrelated outputs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
