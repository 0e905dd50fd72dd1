package io.kvrelay.ingest.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The whole bridge configuration, validated at construction so a bad file fails at start with a message that names
 * the setting. Sections default when absent (see {@code docs/configuration.md}).
 *
 * @param instanceId       name of this bridge instance, reported in pod status
 * @param kafka            the sink
 * @param zmq              socket settings
 * @param admin            HTTP endpoint
 * @param handoffCapacity  bound of the queue between the ZeroMQ threads and the Kafka producer, in records
 * @param statusIntervalMs how often pod status is published
 * @param pods             the pods to subscribe to at start (more can be added at run time)
 * @param podMetrics       scraping of the pods' Prometheus metrics (load), with its defaults filled from
 *                         {@code statusIntervalMs}
 */
public record BridgeConfig(String instanceId, KafkaSinkConfig kafka, ZmqConfig zmq, AdminConfig admin,
                           int handoffCapacity, int statusIntervalMs, List<PodConfig> pods,
                           PodMetricsConfig podMetrics) {
    public BridgeConfig {
        if (instanceId == null || instanceId.isBlank()) {
            instanceId = "ingest-bridge";
        }
        if (kafka == null) {
            throw new IllegalArgumentException("kafka section is required (at least kafka.bootstrapServers)");
        }
        if (zmq == null) {
            zmq = ZmqConfig.defaults();
        }
        if (admin == null) {
            admin = AdminConfig.defaults();
        }
        if (handoffCapacity == 0) {
            handoffCapacity = 8_192;
        }
        ZmqConfig.requirePositive("handoffCapacity", handoffCapacity);
        if (statusIntervalMs == 0) {
            statusIntervalMs = 5_000;
        }
        ZmqConfig.requirePositive("statusIntervalMs", statusIntervalMs);
        podMetrics = (podMetrics == null ? PodMetricsConfig.defaults() : podMetrics).resolve(statusIntervalMs);
        pods = pods == null ? List.of() : List.copyOf(pods);
        Set<String> seen = new HashSet<>();
        for (PodConfig p : pods) {
            if (!seen.add(p.key().id())) {
                throw new IllegalArgumentException("pod " + p.key().id() + " is listed twice");
            }
        }
    }

    /** With the default pod-metrics settings. */
    public BridgeConfig(String instanceId, KafkaSinkConfig kafka, ZmqConfig zmq, AdminConfig admin,
                        int handoffCapacity, int statusIntervalMs, List<PodConfig> pods) {
        this(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, pods, null);
    }
}
