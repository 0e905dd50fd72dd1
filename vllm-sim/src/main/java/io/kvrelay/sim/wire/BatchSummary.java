package io.kvrelay.sim.wire;

import java.util.List;

/**
 * Counts of what one batch carries, so a test can check a consumer's output against what was published without
 * decoding the payload again.
 */
public record BatchSummary(int events, int storedEvents, int storedBlocks, int removedBlocks, int cleared,
                           int unknown) {

    public static final BatchSummary EMPTY = new BatchSummary(0, 0, 0, 0, 0, 0);

    public static BatchSummary of(List<? extends SimEvent> events) {
        int storedEvents = 0;
        int stored = 0;
        int removed = 0;
        int cleared = 0;
        int unknown = 0;
        for (SimEvent e : events) {
            // Java 17: no pattern switch yet, so an instanceof chain over the sealed hierarchy.
            if (e instanceof SimEvent.Stored s) {
                storedEvents++;
                stored += s.hashes().length;
            } else if (e instanceof SimEvent.Removed r) {
                removed += r.hashes().length;
            } else if (e instanceof SimEvent.Cleared) {
                cleared++;
            } else {
                unknown++;
            }
        }
        return new BatchSummary(events.size(), storedEvents, stored, removed, cleared, unknown);
    }
}
