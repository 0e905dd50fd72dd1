package io.kvrelay.sim.zmq;

import io.kvrelay.sim.wire.BatchSummary;
import io.kvrelay.sim.wire.SimEvent;
import java.util.List;
import java.util.UUID;

/**
 * One batch a worker published: what an integration test needs to prove it reached the sink exactly once.
 *
 * @param epoch       the publisher's restart count (0 for the first process, +1 per restart); seq restarts each epoch
 * @param payload     the exact msgpack bytes sent (the same array the replay buffer holds; do not modify)
 * @param ts          the envelope ts ({@code time.time()}), NaN for raw payloads
 * @param events      the events encoded (empty for a heartbeat), or null for {@link KvEventPublisher#publishRaw}
 * @param summary     counts of the events, or null for raw payloads
 * @param sentToPub   false when a test hook withheld it from the PUB socket (it is still in the replay buffer); true
 *                    does not mean delivered: PUB drops silently at the high-water mark
 * @param publisherId the random id of the incarnation that published it (one per epoch); on the wire only with
 *                    {@link SeqFrame#SEQ8_PUBLISHER_ID}
 */
public record PublishedBatch(int rank, int epoch, long seq, double ts, byte[] payload, List<SimEvent> events,
                             BatchSummary summary, boolean sentToPub, UUID publisherId) {

    /** An empty batch, as a heartbeat is. */
    public boolean isEmpty() {
        return events != null && events.isEmpty();
    }

    @Override
    public String toString() {
        return "PublishedBatch[rank=" + rank + ", epoch=" + epoch + ", seq=" + seq + ", bytes=" + payload.length
                + ", summary=" + summary + ", sentToPub=" + sentToPub + ", publisherId=" + publisherId + "]";
    }
}
