package io.kvrelay.launcher.replay;

import java.util.Map;
import java.util.TreeMap;

/** One pod's activity in the replayed window: what its events did, and the blocks it held. */
final class PodActivity {
    long batches;
    long blocksStored;
    long blocksRemoved;
    long clears;
    final Map<String, Long> resets = new TreeMap<>();
    /** Blocks held now, over the pod's DP ranks, and the most it held after any batch. */
    long held;
    long peakHeld;
    /** Blocks stored and removed since the last sample (the rates' numerators). */
    long storedSinceSample;
    long removedSinceSample;
    /** This pod's blocks that ended in the window. */
    final BlockLifetimes lifetimes = new BlockLifetimes();
    /** Decisions that chose this pod: their prompt blocks, and how many of those the pod really held. */
    long decisionsRouted;
    long decisionPromptBlocks;
    long decisionHitBlocks;

    void held(long now) {
        held = now;
        peakHeld = Math.max(peakHeld, now);
    }

    void routed(int promptBlocks, int held) {
        decisionsRouted++;
        decisionPromptBlocks += promptBlocks;
        decisionHitBlocks += Math.min(held, promptBlocks);
    }

    /**
     * The JSON and CSV view. Lifetime percentiles are null when none of the pod's blocks ended in the window; the
     * decision hit rate is null when no decision chose it.
     */
    record Totals(String pod, long batches, long blocksStored, long blocksRemoved, long clears,
                  Map<String, Long> resets, long peakBlocksHeld, long lifetimesEnded, Double lifetimeP50Ms,
                  Double lifetimeP99Ms, long decisionsRouted, Double decisionHitRate) {
    }

    Totals totals(String pod) {
        BlockLifetimes.Summary life = lifetimes.summary();
        return new Totals(pod, batches, blocksStored, blocksRemoved, clears, new TreeMap<>(resets), peakHeld,
                life.ended(), life.p50Ms(), life.p99Ms(), decisionsRouted,
                decisionPromptBlocks == 0 ? null : (double) decisionHitBlocks / decisionPromptBlocks);
    }
}
