package io.kvrelay.launcher.bench.trace;

/**
 * One request of a Mooncake-format trace.
 *
 * @param timestampMs  arrival, ms since the start of the trace
 * @param inputLength  prompt tokens
 * @param outputLength generated tokens
 * @param hashIds      one id per 512-token block of the prompt (the last may be partial): requests whose leading ids
 *                     are equal share that prefix
 * @param sessionId    the conversation or user the request belongs to; null when the trace does not say
 */
public record TraceRecord(double timestampMs, int inputLength, int outputLength, int[] hashIds, String sessionId) {
    /** Tokens per hash block in the Mooncake format. */
    public static final int BLOCK_TOKENS = 512;

    public TraceRecord {
        if (!(timestampMs >= 0) || Double.isInfinite(timestampMs)) {
            throw new IllegalArgumentException("timestamp must be a finite number >= 0, got " + timestampMs);
        }
        if (inputLength < 0 || outputLength < 0) {
            throw new IllegalArgumentException("input_length and output_length must be >= 0, got " + inputLength
                    + " and " + outputLength);
        }
        if (hashIds == null) {
            throw new IllegalArgumentException("hash_ids is required");
        }
    }
}
