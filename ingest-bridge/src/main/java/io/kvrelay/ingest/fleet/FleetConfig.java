package io.kvrelay.ingest.fleet;

/**
 * Several bridges sharing one fleet: Kafka's group membership gives each the slots (partitions of the bridge-fleet
 * topic) it owns, and a pod belongs to the slot its id hashes to.
 *
 * @param enabled          share the fleet with the other bridges of {@code groupId}; false: this bridge runs every pod
 * @param groupId          the bridges' consumer group; default {@code <topicPrefix>.bridges}
 * @param sessionTimeoutMs how long a bridge that stopped answering (killed, frozen, cut off) keeps its pods before the
 *                         others take them over (Kafka's {@code session.timeout.ms}; at least the broker's
 *                         {@code group.min.session.timeout.ms}, 6 s by default). Lower: faster take-over; too low: a
 *                         long GC pause or a busy machine hands pods around for nothing
 * @param handOverTimeoutMs how long a bridge giving pods away waits for Kafka to acknowledge what their workers read,
 *                         so the next owner resumes after it (past it: the next owner may read some batches again)
 */
public record FleetConfig(boolean enabled, String groupId, int sessionTimeoutMs, int handOverTimeoutMs) {
    public FleetConfig {
        if (sessionTimeoutMs == 0) {
            sessionTimeoutMs = 10_000;
        }
        if (sessionTimeoutMs < 1_000) {
            throw new IllegalArgumentException("fleet.sessionTimeoutMs must be >= 1000, got " + sessionTimeoutMs);
        }
        if (handOverTimeoutMs == 0) {
            handOverTimeoutMs = 30_000;
        }
        if (handOverTimeoutMs < 0) {
            throw new IllegalArgumentException("fleet.handOverTimeoutMs must be > 0, got " + handOverTimeoutMs);
        }
        if (groupId != null && groupId.isBlank()) {
            groupId = null;
        }
    }

    public static FleetConfig defaults() {
        return new FleetConfig(false, null, 0, 0);
    }

    /** The consumer group, defaulted from the topic prefix so two pipelines on one cluster never share bridges. */
    public String groupIdOr(String topicPrefix) {
        return groupId != null ? groupId : topicPrefix + ".bridges";
    }
}
