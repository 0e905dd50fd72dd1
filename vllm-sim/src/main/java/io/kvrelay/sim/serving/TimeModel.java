package io.kvrelay.sim.serving;

/**
 * How long a simulated pod takes to serve, per data-parallel rank: a prefill is paid per uncached block (so a prefix
 * hit is visibly faster, which is what a KV-aware router is for), then one token per decode step for every running
 * request at once (decode is memory-bound: a batch step costs about the same as a single one).
 *
 * @param prefillMsPerBlock prefill time of one uncached block of prompt tokens (ms, ≥ 0)
 * @param decodeMsPerToken  time of one decode step, that is between two tokens of a running request (ms, ≥ 0)
 * @param maxRunning        requests running (prefilling or decoding) at once per rank, like vLLM's
 *                          {@code --max-num-seqs}; beyond it they wait (> 0)
 */
public record TimeModel(double prefillMsPerBlock, double decodeMsPerToken, int maxRunning) {
    public TimeModel {
        if (!(prefillMsPerBlock >= 0) || Double.isInfinite(prefillMsPerBlock)) {
            throw new IllegalArgumentException("prefillMsPerBlock must be a finite number >= 0, got "
                    + prefillMsPerBlock);
        }
        if (!(decodeMsPerToken >= 0) || Double.isInfinite(decodeMsPerToken)) {
            throw new IllegalArgumentException("decodeMsPerToken must be a finite number >= 0, got "
                    + decodeMsPerToken);
        }
        if (maxRunning <= 0) {
            throw new IllegalArgumentException("maxRunning must be > 0, got " + maxRunning);
        }
    }

    /** 2 ms per prefilled block, 5 ms per decode step, 256 running per rank. */
    public static TimeModel defaults() {
        return new TimeModel(2.0, 5.0, 256);
    }

    /** The prefill of {@code uncachedTokens} tokens, in nanoseconds. */
    long prefillNanos(int uncachedTokens, int blockSize) {
        return Math.round(prefillMsPerBlock * uncachedTokens / blockSize * 1_000_000);
    }

    long decodeNanos() {
        return Math.round(decodeMsPerToken * 1_000_000);
    }
}
