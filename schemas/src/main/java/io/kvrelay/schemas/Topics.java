package io.kvrelay.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every topic kvrelay reads or writes, and its settings: the one place that decides them.
 *
 * <p>Names are {@code <prefix>.<suffix>}; the prefix is configurable so several pipelines can share a cluster.
 * Every topic is keyed by the pod id ({@link PodKey}) so that a pod's records keep their order.
 */
public record Topics(TopicSpec kvEvents, TopicSpec deadLetters, TopicSpec podStatus, TopicSpec routeDecisions,
                     TopicSpec bridgePods, TopicSpec bridgeFleet) {

    public static final String DEFAULT_PREFIX = "kvrelay";
    /** Partitions of the event log, and so the most stream-app instances that share the work. */
    public static final int KV_EVENT_PARTITIONS = 12;
    /**
     * Partitions of the bridges' assignment topic: the slots pods hash to, shared out among the bridge replicas by
     * Kafka's group membership. More slots balance pods more evenly; it is also the most bridges that share a fleet.
     */
    public static final int BRIDGE_FLEET_SLOTS = 60;

    /** Topic settings with the default prefix and replication 1 (a single embedded broker). */
    public static Topics defaults() {
        return withPrefix(DEFAULT_PREFIX, (short) 1);
    }

    public static Topics withPrefix(String prefix, short replicationFactor) {
        String p = prefix == null || prefix.isBlank() ? DEFAULT_PREFIX : prefix;
        String minIsr = String.valueOf(Math.max(1, replicationFactor - 1));
        return new Topics(
                // The event log is the product: keep a week so analytics and restores can re-read it.
                new TopicSpec(p + ".kv-events", KV_EVENT_PARTITIONS, replicationFactor, Map.of(
                        "cleanup.policy", "delete",
                        "retention.ms", String.valueOf(Duration.ofDays(7).toMillis()),
                        "min.insync.replicas", minIsr,
                        "compression.type", "producer")),
                // Dead letters are for humans to inspect: keep them longer than the events.
                new TopicSpec(p + ".kv-events.dlq", 3, replicationFactor, Map.of(
                        "cleanup.policy", "delete",
                        "retention.ms", String.valueOf(Duration.ofDays(14).toMillis()),
                        "min.insync.replicas", minIsr)),
                // Compacted: the latest status per pod is all anyone needs. As many partitions as the event log, so
                // stream-app reads a pod's status and its events in the same task (co-partitioned, same key).
                new TopicSpec(p + ".pod-status", KV_EVENT_PARTITIONS, replicationFactor, Map.of(
                        "cleanup.policy", "compact",
                        "min.compaction.lag.ms", "0",
                        "segment.ms", String.valueOf(Duration.ofHours(1).toMillis()),
                        "min.insync.replicas", minIsr)),
                new TopicSpec(p + ".route-decisions", 6, replicationFactor, Map.of(
                        "cleanup.policy", "delete",
                        "retention.ms", String.valueOf(Duration.ofDays(7).toMillis()),
                        "min.insync.replicas", minIsr)),
                // Pods added through a bridge's admin API (pod id -> its config, a tombstone when removed): every
                // bridge reads it whole at start, so they survive restarts and are seen by every replica. One
                // partition: it is small, and one order of adds and removes is what everyone must agree on.
                new TopicSpec(p + ".bridge-pods", 1, replicationFactor, Map.of(
                        "cleanup.policy", "compact",
                        "min.insync.replicas", minIsr)),
                // Never written: its partitions are the slots the bridges' consumer group shares out.
                new TopicSpec(p + ".bridge-fleet", BRIDGE_FLEET_SLOTS, replicationFactor, Map.of(
                        "cleanup.policy", "delete",
                        "retention.ms", String.valueOf(Duration.ofHours(1).toMillis()),
                        "min.insync.replicas", minIsr)));
    }

    /**
     * Every topic a deployment needs. Not {@link #bridgeFleet}: only bridges that share a fleet need it (they create
     * it), and its many partitions cost a broker something for nothing elsewhere.
     */
    public List<TopicSpec> all() {
        return List.of(kvEvents, deadLetters, podStatus, routeDecisions, bridgePods);
    }
}
