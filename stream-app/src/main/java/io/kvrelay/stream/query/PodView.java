package io.kvrelay.stream.query;

import java.util.List;

/**
 * One pod as a router sees it; {@link PodLiveness} decides the flags. {@code alive}: connected by its bridge's last
 * report, and that report is within the heartbeat TTL or the pod is {@code stale} (its whole bridge went silent: kept
 * on its last state for at most {@code staleMaxMs}). {@code routable}: alive, not drained, and its load not unknown
 * for too long. {@code suspect}: its metrics have not answered for a while (it may be hung). {@code draining}: an
 * operator drained it (it may still be alive).
 */
public record PodView(String namespace, String service, String pod, Integer podIndex, String host, String address,
                      String model, Integer blockSize, boolean alive, boolean routable, boolean draining,
                      boolean stale, boolean suspect, String drainedBy, String drainReason, String bridgeState,
                      String source, Long lastHeartbeatMicros, Long heartbeatAgeMs, Long loadUnknownSinceMicros,
                      long loadUnknownMs, Load load, long blocksHeld, Long lastSequence, Long lastEventMicros,
                      List<Worker> workers) {

    /** vLLM's load figures when the bridge reported them; null fields are unknown. */
    public record Load(Integer running, Integer waiting, Double kvCacheUsage) {
    }

    public record Worker(int dpRank, boolean connected, Long lastSequence, Long lastEventMicros, long blocksHeld) {
    }

    public String id() {
        return namespace + "/" + service + "/" + pod;
    }

    /** What the flags were decided from, so they can be decided again with more evidence ({@link ClusterQueries}). */
    public PodLiveness.Evidence evidence() {
        return new PodLiveness.Evidence("CONNECTED".equals(bridgeState), lastHeartbeatMicros, source, draining,
                loadUnknownSinceMicros);
    }

    /** This view with the flags of {@code v}. */
    public PodView judged(PodLiveness.Verdict v) {
        return new PodView(namespace, service, pod, podIndex, host, address, model, blockSize, v.alive(), v.routable(),
                draining, v.stale(), v.suspect(), drainedBy, drainReason, bridgeState, source, lastHeartbeatMicros,
                heartbeatAgeMs, loadUnknownSinceMicros, v.loadUnknownMs(), load, blocksHeld, lastSequence,
                lastEventMicros, workers);
    }
}
