package io.kvrelay.stream.query;

import java.util.List;

/**
 * The answer: per worker holding at least the first key, how many leading keys it holds ({@code matched}, any local
 * tier: GPU, CPU or STORAGE), how many of them on GPU ({@code gpuMatched}), and how many in memory, GPU or CPU
 * ({@code memoryMatched}); {@code gpuMatched <= memoryMatched <= matched}. Blocks a worker announced REMOTE are not
 * held by it and never count. Workers not listed match 0.
 *
 * @param keys       how many keys were asked
 * @param workers    sorted by matched, longest first, then by worker
 * @param partitions the partitions of the event log that answered (all of them, or the answer is a 503)
 */
public record PrefixMatch(int keys, List<WorkerMatch> workers, List<Integer> partitions) {

    public record WorkerMatch(String pod, int dpRank, int matched, int gpuMatched, int memoryMatched) {
    }
}
