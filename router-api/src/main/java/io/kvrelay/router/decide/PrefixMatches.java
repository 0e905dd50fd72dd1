package io.kvrelay.router.decide;

import java.util.Map;

/**
 * Per pod (all its DP ranks: the best rank counts, per figure) the longest matched prefix in any tier, on GPU, and in
 * memory (GPU or CPU): {@code {matched, gpuMatched, memoryMatched}}. Pods not listed match nothing.
 */
public record PrefixMatches(Map<String, int[]> byPod) {
    public static final PrefixMatches NONE = new PrefixMatches(Map.of());

    public int matched(String pod) {
        int[] m = byPod.get(pod);
        return m == null ? 0 : m[0];
    }

    public int gpuMatched(String pod) {
        int[] m = byPod.get(pod);
        return m == null ? 0 : m[1];
    }

    public int memoryMatched(String pod) {
        int[] m = byPod.get(pod);
        return m == null ? 0 : m.length > 2 ? m[2] : m[0];
    }
}
