package io.kvrelay.launcher.bench.trace;

import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.util.List;
import java.util.Objects;

/**
 * What a trace is, measured from its records rather than from the knobs that made it.
 *
 * @param sessions   distinct sessions (0 when the trace has none)
 * @param hashBlocks Σ hash ids over all requests (512-token blocks, the last of a prompt possibly partial)
 * @param reuseShare share of those blocks whose whole prefix (the block and every block before it in its prompt) was
 *                   already seen earlier in the trace: what a single, unbounded prefix cache could reuse
 * @param durationSeconds from the first to the last timestamp
 */
public record TraceFacts(int requests, long sessions, double meanInputTokens, int maxInputTokens,
                         double meanOutputTokens, long hashBlocks, double reuseShare, double durationSeconds) {

    public static TraceFacts of(List<TraceRecord> records) {
        long input = 0;
        long output = 0;
        int maxInput = 0;
        long blocks = 0;
        long reused = 0;
        // The prefixes seen so far as a trie: node id of (parent node, hash id); the root is node 0.
        Long2IntOpenHashMap trie = new Long2IntOpenHashMap();
        trie.defaultReturnValue(-1);
        for (TraceRecord r : records) {
            input += r.inputLength();
            output += r.outputLength();
            maxInput = Math.max(maxInput, r.inputLength());
            int node = 0;
            for (int id : r.hashIds()) {
                long key = ((long) node << 32) | (id & 0xFFFF_FFFFL);
                int child = trie.get(key);
                if (child >= 0) {
                    reused++;
                } else {
                    child = trie.size() + 1;
                    trie.put(key, child);
                }
                node = child;
                blocks++;
            }
        }
        int n = records.size();
        double first = n == 0 ? 0 : records.stream().mapToDouble(TraceRecord::timestampMs).min().orElse(0);
        double last = n == 0 ? 0 : records.stream().mapToDouble(TraceRecord::timestampMs).max().orElse(0);
        long sessions = records.stream().map(TraceRecord::sessionId).filter(Objects::nonNull).distinct().count();
        return new TraceFacts(n, sessions, n == 0 ? 0 : (double) input / n, maxInput, n == 0 ? 0 : (double) output / n,
                blocks, blocks == 0 ? 0 : (double) reused / blocks, (last - first) / 1000);
    }

    /** One line for a console: the figures the docs quote. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%d requests, %d sessions, mean prompt %.0f tokens (max %d), mean "
                        + "output %.0f tokens, reuse %.1f%% of %d 512-token blocks, %.0f s of arrivals", requests,
                sessions, meanInputTokens, maxInputTokens, meanOutputTokens, 100 * reuseShare, hashBlocks,
                durationSeconds);
    }
}
