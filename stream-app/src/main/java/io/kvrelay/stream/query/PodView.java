package io.kvrelay.stream.query;

import java.util.List;

/**
 * One pod as a router sees it. {@code alive}: the bridge reported it connected within the heartbeat TTL.
 * {@code routable}: alive and not drained. {@code draining}: an operator drained it (it may still be alive).
 */
public record PodView(String namespace, String service, String pod, Integer podIndex, String host, String address,
                      String model, Integer blockSize, boolean alive, boolean routable, boolean draining,
                      String drainedBy, String drainReason, String bridgeState, Long lastHeartbeatMicros,
                      Long heartbeatAgeMs, Load load, long blocksHeld, Long lastSequence, Long lastEventMicros,
                      List<Worker> workers) {

    /** vLLM's load figures when the bridge reported them; null fields are unknown. */
    public record Load(Integer running, Integer waiting, Double kvCacheUsage) {
    }

    public record Worker(int dpRank, boolean connected, Long lastSequence, Long lastEventMicros, long blocksHeld) {
    }

    public String id() {
        return namespace + "/" + service + "/" + pod;
    }
}
