package io.kvrelay.sim.zmq;

/**
 * A publisher's replay service counters, for one incarnation (a re-created publisher starts from zero).
 *
 * @param requests          requests received, well-formed or not
 * @param badRequests       malformed requests, logged and ignored as vLLM does
 * @param served            requests whose send loop ran to the end (end marker sent or dropped)
 * @param aborted           send loops cut short by closing the publisher (a process exit mid-replay)
 * @param batchesReplayed   batch replies attempted: sent plus dropped
 * @param repliesSent       batch replies the ROUTER queued for the peer
 * @param repliesDropped    batch replies dropped because the peer's pipe was at the high-water mark (or it left), as
 *                          vLLM's ROUTER drops them, silently for the peer
 * @param endMarkersSent    end markers queued for the peer
 * @param endMarkersDropped end markers dropped the same way
 * @param buffered          batches in the replay buffer now
 * @param inProgress        a send loop is running now (in vLLM mode, publishing waits meanwhile)
 */
public record ReplayStats(long requests, long badRequests, long served, long aborted, long batchesReplayed,
                          long repliesSent, long repliesDropped, long endMarkersSent, long endMarkersDropped,
                          int buffered, boolean inProgress) {
    static final ReplayStats NONE = new ReplayStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);
}
