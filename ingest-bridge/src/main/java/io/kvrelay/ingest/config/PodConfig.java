package io.kvrelay.ingest.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.kvrelay.schemas.PodKey;
import java.net.URI;
import java.net.URISyntaxException;

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
 * @param servingPort the port vLLM serves requests and its Prometheus metrics on ({@code vllm serve --port}); the
 *                   pod's reported address is {@code host:servingPort}, and its load is scraped from there. null:
 *                   address and load stay unknown
 * @param metricsPath path of the Prometheus metrics on the serving port (default {@code /metrics})
 */
public record PodConfig(String namespace, String service, String pod, Integer index, String host, int pubPort,
                        Integer replayPort, int dpRanks, String model, String topic, Integer servingPort,
                        String metricsPath) {

    public static final String DEFAULT_METRICS_PATH = "/metrics";

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
        if (metricsPath == null || metricsPath.isEmpty()) {
            metricsPath = DEFAULT_METRICS_PATH;
        }
        if (!metricsPath.startsWith("/") || metricsPath.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(where + "metricsPath must start with / and contain no spaces, got '"
                    + metricsPath + "'");
        }
        if (servingPort != null) {
            if (servingPort < 1 || servingPort > 65535) {
                throw new IllegalArgumentException(where + "servingPort must be 1..65535, got " + servingPort);
            }
            // One socket per port: a serving port inside the ZeroMQ ranges is a typo, and would scrape a ZMQ socket.
            if (inRange(servingPort, pubPort, dpRanks) || (replayPort != null && inRange(servingPort, replayPort, dpRanks))) {
                throw new IllegalArgumentException(where + "servingPort " + servingPort
                        + " falls inside the pub or replay port range");
            }
            checkedMetricsUri(where, host, servingPort, metricsPath);
        }
    }

    /** A pod without a serving port (address and load unknown). */
    public PodConfig(String namespace, String service, String pod, Integer index, String host, int pubPort,
                     Integer replayPort, int dpRanks, String model, String topic) {
        this(namespace, service, pod, index, host, pubPort, replayPort, dpRanks, model, topic, null, null);
    }

    private static boolean inRange(int port, int base, int ranks) {
        return port >= base && port < base + ranks;
    }

    private static URI checkedMetricsUri(String where, String host, int port, String path) {
        try {
            URI uri = new URI("http://" + bracketed(host) + ":" + port + path);
            if (uri.getHost() == null) {
                throw new URISyntaxException(uri.toString(), "no host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + "host '" + host + "' and metricsPath '" + path
                    + "' do not form a valid http URL: " + e.getMessage());
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

    /** Where the pod serves requests, {@code host:servingPort} (IPv6 in brackets), or null without a serving port. */
    public String address() {
        return servingPort == null ? null : bracketed(host) + ":" + servingPort;
    }

    /** The pod's Prometheus endpoint, or null without a serving port. */
    public URI metricsUri() {
        return servingPort == null ? null : checkedMetricsUri("pod " + key().id() + ": ", host, servingPort, metricsPath);
    }

    private String hostForUri() {
        return bracketed(host);
    }

    private static String bracketed(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
