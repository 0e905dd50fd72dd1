package io.kvrelay.sim.cache;

import io.kvrelay.sim.wire.SimEvent;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds a worker's block set from its events alone, the way a consumer of the stream would. Comparing it with
 * {@link KvCacheModel#contents()} proves the published events tell the whole truth; a bridge test can use it to build
 * the expected index from what was published.
 */
public final class BlockSetMirror {
    private final Map<Long, CachedBlock> blocks = new HashMap<>();

    public void apply(List<? extends SimEvent> events) {
        for (SimEvent e : events) {
            apply(e);
        }
    }

    public void apply(SimEvent event) {
        if (event instanceof SimEvent.Stored s) {
            int bs = s.blockSize();
            Long parent = s.parent();
            for (int i = 0; i < s.hashes().length; i++) {
                int[] tokens = s.tokenIds().length >= (i + 1) * bs
                        ? Arrays.copyOfRange(s.tokenIds(), i * bs, (i + 1) * bs) : new int[0];
                blocks.put(s.hashes()[i], new CachedBlock(s.hashes()[i], parent, tokens, s.loraName()));
                parent = s.hashes()[i];
            }
        } else if (event instanceof SimEvent.Removed r) {
            for (long h : r.hashes()) {
                blocks.remove(h);
            }
        } else if (event instanceof SimEvent.Cleared) {
            blocks.clear();
        }
        // Unknown events carry nothing a consumer may act on.
    }

    /** Forgets everything without an event: what a consumer must do when it detects a publisher restart. */
    public void reset() {
        blocks.clear();
    }

    public Map<Long, CachedBlock> blocks() {
        return Collections.unmodifiableMap(blocks);
    }
}
