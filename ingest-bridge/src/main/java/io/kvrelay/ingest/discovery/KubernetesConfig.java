package io.kvrelay.ingest.discovery;

import java.util.List;

/**
 * Pods found by watching the Kubernetes API (the bridge's service account needs get, list and watch on pods).
 *
 * @param enabled       watch pods; false: only the config file and the admin API name pods
 * @param namespaces    where to watch; empty: the bridge's own namespace (its service account's); {@code ["*"]}: all
 * @param labelSelector which pods are vLLM pods, e.g. {@code app.kubernetes.io/name=vllm}; required
 * @param serviceLabel  the label whose value is the pod's service (one per model), when the pod has no
 *                      {@code kvrelay.io/service} annotation; default {@code app.kubernetes.io/instance}
 * @param container     the vLLM container's name; default: the one whose command or args carry
 *                      {@code --kv-events-config}, else the first
 * @param resyncMs      how often the watch re-delivers every pod (a safety net; 0: never)
 * @param apiServer     the API server's URL, unauthenticated (e.g. {@code kubectl proxy}'s http://127.0.0.1:8001);
 *                      default: the usual client configuration (in a pod its service account, else kubeconfig)
 * @param startTimeoutMs how long the bridge waits at start for the first list of pods before it gives up (it does not
 *                      start without it: a bridge that knows no pods would look healthy and do nothing)
 */
public record KubernetesConfig(boolean enabled, List<String> namespaces, String labelSelector, String serviceLabel,
                               String container, long resyncMs, String apiServer, long startTimeoutMs) {
    public static final String ANNOTATION_PREFIX = "kvrelay.io/";

    public KubernetesConfig {
        namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
        if (namespaces.contains("*") && namespaces.size() > 1) {
            throw new IllegalArgumentException("discovery.kubernetes.namespaces: \"*\" (all) cannot be combined with"
                    + " names, got " + namespaces);
        }
        if (enabled && (labelSelector == null || labelSelector.isBlank())) {
            throw new IllegalArgumentException("discovery.kubernetes.labelSelector is required: which pods are vLLM"
                    + " pods (e.g. app.kubernetes.io/name=vllm)");
        }
        if (serviceLabel == null || serviceLabel.isBlank()) {
            serviceLabel = "app.kubernetes.io/instance";
        }
        if (container != null && container.isBlank()) {
            container = null;
        }
        if (apiServer != null && apiServer.isBlank()) {
            apiServer = null;
        }
        if (apiServer != null && !apiServer.matches("https?://.+")) {
            throw new IllegalArgumentException("discovery.kubernetes.apiServer must be an http(s) URL, got "
                    + apiServer);
        }
        if (startTimeoutMs == 0) {
            startTimeoutMs = 30_000;
        }
        if (startTimeoutMs < 0) {
            throw new IllegalArgumentException("discovery.kubernetes.startTimeoutMs must be > 0, got " + startTimeoutMs);
        }
        if (resyncMs < 0) {
            throw new IllegalArgumentException("discovery.kubernetes.resyncMs must be >= 0, got " + resyncMs);
        }
    }

    public static KubernetesConfig disabled() {
        return new KubernetesConfig(false, List.of(), null, null, null, 0, null, 0);
    }

    public boolean allNamespaces() {
        return namespaces.equals(List.of("*"));
    }
}
