package io.kvrelay.ingest.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.kvrelay.schemas.PodKey;

/**
 * One vLLM pod the bridge subscribes to.
 *
 * @param namespace  Kubernetes namespace
 * @param service    the service (one per model) the pod belongs to
 * @param pod        pod name
 * @param index      StatefulSet ordinal, or null
 * @param host       address of the pod's publisher (IPv4, IPv6 or a name)
 * @param pubPort    port of the PUB socket of DP rank 0 (vLLM's {@code endpoint}); rank r publishes on pubPort + r
 * @param replayPort port of the replay ROUTER of rank 0 (vLLM's {@code replay_endpoint}), rank r on replayPort + r;
 *                   null when the pod has no replay socket (every gap then becomes a WorkerReset)
 * @param dpRanks    number of data-parallel ranks, at least 1
 * @param model      served model name, or null
 * @param topic      topic prefix to subscribe to; empty subscribes to everything (vLLM's default topic is "")
 */
public record PodConfig(String namespace, String service, String pod, Integer index, String host, int pubPort,
                        Integer replayPort, int dpRanks, String model, String topic) {

    public PodConfig {
        PodKey checked = new PodKey(namespace, service, pod);
        String where = "pod " + checked.id() + ": ";
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(where + "host is required");
        }
        if (index != null && index < 0) {
            throw new IllegalArgumentException(where + "index must be >= 0, got " + index);
        }
        if (dpRanks == 0) {
            dpRanks = 1;
        }
        if (dpRanks < 1 || dpRanks > 1024) {
            throw new IllegalArgumentException(where + "dpRanks must be 1..1024, got " + dpRanks);
        }
        requirePortRange(where + "pubPort", pubPort, dpRanks);
        if (replayPort != null) {
            requirePortRange(where + "replayPort", replayPort, dpRanks);
            // vLLM offsets both endpoints by the rank: with 2+ ranks, adjacent ports collide (rank 1's PUB = rank 0's replay).
            if (pubPort < replayPort + dpRanks && replayPort < pubPort + dpRanks) {
                throw new IllegalArgumentException(where + "pub ports " + pubPort + ".." + (pubPort + dpRanks - 1)
                        + " overlap replay ports " + replayPort + ".." + (replayPort + dpRanks - 1)
                        + " (vLLM adds the DP rank to both; leave at least dpRanks ports between them)");
            }
        }
        if (topic == null) {
            topic = "";
        }
    }

    private static void requirePortRange(String what, int port, int ranks) {
        if (port < 1 || port + ranks - 1 > 65535) {
            throw new IllegalArgumentException(what + " must leave room for " + ranks + " rank(s) in 1..65535, got " + port);
        }
    }

    @JsonIgnore
    public PodKey key() {
        return new PodKey(namespace, service, pod);
    }

    /** vLLM adds the DP rank to the port of both endpoints. */
    public String pubEndpoint(int rank) {
        return "tcp://" + hostForUri() + ":" + (pubPort + rank);
    }

    public String replayEndpoint(int rank) {
        return replayPort == null ? null : "tcp://" + hostForUri() + ":" + (replayPort + rank);
    }

    private String hostForUri() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
