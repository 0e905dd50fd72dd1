package io.kvrelay.schemas;

import java.util.Map;
import java.util.Objects;

/**
 * One Kafka topic as kvrelay creates it: name, partition count, replication and topic-level configs.
 *
 * @param name              topic name
 * @param partitions        partition count, at least 1
 * @param replicationFactor replication factor, at least 1
 * @param configs           topic-level configs (cleanup.policy, retention.ms, ...), copied
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {
    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || !name.matches("[A-Za-z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("topic name '" + name + "' must be 1-249 of [A-Za-z0-9._-]");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, got " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("topic " + name + ": replication factor must be >= 1, got " + replicationFactor);
        }
        configs = Map.copyOf(configs);
    }

    public TopicSpec withPartitions(int n) {
        return new TopicSpec(name, n, replicationFactor, configs);
    }

    public TopicSpec withReplicationFactor(short rf) {
        return new TopicSpec(name, partitions, rf, configs);
    }
}
