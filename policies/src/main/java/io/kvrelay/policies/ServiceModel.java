package io.kvrelay.policies;

/**
 * How long a request occupies its pod, the same for every policy. Each pod has one prefill slot served in arrival
 * order (a request's uncached blocks are computed only after the previous request's prefill on that pod finished);
 * decoding runs in parallel with other requests. Deliberately simple: it charges exactly what prefix caching saves.
 *
 * <pre>
 * prefillStart = max(arrival, end of the pod's previous prefill)
 * TTFT         = (prefillStart − arrival) + uncachedBlocks × prefillMsPerBlock + overheadMs
 * finish       = arrival + TTFT + outputTokens × decodeMsPerToken       (in flight on the pod until then)
 * </pre>
 */
public record ServiceModel(double prefillMsPerBlock, double overheadMs, double decodeMsPerToken) {
    public ServiceModel {
        if (!(prefillMsPerBlock >= 0) || !(overheadMs >= 0) || !(decodeMsPerToken >= 0)) {
            throw new IllegalArgumentException("prefillMsPerBlock, overheadMs and decodeMsPerToken must be >= 0");
        }
    }

    /**
     * One request's timing on its pod; it waits for the prefill slot until {@code prefillStartMs} and holds it until
     * {@code prefillEndMs}, when the pod's next prefill may start.
     */
    public record Timing(double ttftMs, double finishMs, double prefillStartMs, double prefillEndMs) {
    }

    /** The per-pod prefill slots of one run; not thread-safe (each run drives it from one thread). */
    public final class PrefillQueues {
        private final double[] freeAtMs;

        public PrefillQueues(int pods) {
            freeAtMs = new double[pods];
        }

        /** Admits a request that arrived at {@code arrivalMs} to {@code pod}'s prefill queue. */
        public Timing admit(int pod, double arrivalMs, int uncachedBlocks, int outputTokens) {
            double start = Math.max(arrivalMs, freeAtMs[pod]);
            double prefill = uncachedBlocks * prefillMsPerBlock;
            freeAtMs[pod] = start + prefill;
            double ttft = start - arrivalMs + prefill + overheadMs;
            return new Timing(ttft, arrivalMs + ttft + outputTokens * decodeMsPerToken, start, freeAtMs[pod]);
        }
    }

    public PrefillQueues queues(int pods) {
        return new PrefillQueues(pods);
    }
}
