package io.kvrelay.ingest.config;

import io.kvrelay.ingest.discovery.KubernetesConfig;
import io.kvrelay.ingest.fleet.FleetConfig;
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
 * @param discovery        where else pods come from (Kubernetes)
 * @param fleet            sharing the pods with other bridges
 */
public record BridgeConfig(String instanceId, KafkaSinkConfig kafka, ZmqConfig zmq, AdminConfig admin,
                           int handoffCapacity, int statusIntervalMs, List<PodConfig> pods,
                           PodMetricsConfig podMetrics, Discovery discovery, FleetConfig fleet) {

    /** @param kubernetes watch Kubernetes pods */
    public record Discovery(KubernetesConfig kubernetes) {
        public Discovery {
            if (kubernetes == null) {
                kubernetes = KubernetesConfig.disabled();
            }
        }

        public static Discovery none() {
            return new Discovery(null);
        }
    }

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
        if (discovery == null) {
            discovery = Discovery.none();
        }
        if (fleet == null) {
            fleet = FleetConfig.defaults();
        }
        Set<String> seen = new HashSet<>();
        for (PodConfig p : pods) {
            if (!seen.add(p.key().id())) {
                throw new IllegalArgumentException("pod " + p.key().id() + " is listed twice");
            }
        }
    }

    /** Without discovery, alone on its fleet. */
    public BridgeConfig(String instanceId, KafkaSinkConfig kafka, ZmqConfig zmq, AdminConfig admin,
                        int handoffCapacity, int statusIntervalMs, List<PodConfig> pods, PodMetricsConfig podMetrics) {
        this(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, pods, podMetrics, null, null);
    }

    public BridgeConfig withFleet(FleetConfig f) {
        return new BridgeConfig(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, pods, podMetrics,
                discovery, f);
    }

    public BridgeConfig withPods(List<PodConfig> p) {
        return new BridgeConfig(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, p, podMetrics,
                discovery, fleet);
    }

    public BridgeConfig withDiscovery(Discovery d) {
        return new BridgeConfig(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, pods, podMetrics,
                d, fleet);
    }

    /** With the default pod-metrics settings. */
    public BridgeConfig(String instanceId, KafkaSinkConfig kafka, ZmqConfig zmq, AdminConfig admin,
                        int handoffCapacity, int statusIntervalMs, List<PodConfig> pods) {
        this(instanceId, kafka, zmq, admin, handoffCapacity, statusIntervalMs, pods, null);
    }
}
