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

    void held(long now) {
        held = now;
        peakHeld = Math.max(peakHeld, now);
    }

    /** The JSON and CSV view. */
    record Totals(String pod, long batches, long blocksStored, long blocksRemoved, long clears,
                  Map<String, Long> resets, long peakBlocksHeld) {
    }

    Totals totals(String pod) {
        return new Totals(pod, batches, blocksStored, blocksRemoved, clears, new TreeMap<>(resets), peakHeld);
    }
}
