package io.kvrelay.ingest.discovery;

import io.kvrelay.ingest.catalog.PodCatalog;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.time.Duration;

/**
 * Starts the Kubernetes source, if the Kubernetes client is there: it is an optional dependency, in the bridge's
 * image but not in {@code kvrelay.jar}. Nothing here names the client's types, so this class loads without them.
 */
public final class KubernetesDiscovery {
    private static final String CLIENT_CLASS = "io.fabric8.kubernetes.client.KubernetesClientBuilder";

    private KubernetesDiscovery() {
    }

    /**
     * Lists the pods, feeds the catalog, and watches on.
     *
     * @throws IllegalStateException without the client on the class path, or when the API does not answer
     */
    public static AutoCloseable start(KubernetesConfig config, PodCatalog catalog, BridgeMetrics metrics) {
        try {
            Class.forName(CLIENT_CLASS, false, KubernetesDiscovery.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("discovery.kubernetes is on, but this build of the bridge has no"
                    + " Kubernetes client (kvrelay.jar leaves it out): run the ingest-bridge image or its module's"
                    + " class path");
        }
        return KubernetesPodSource.create(config, catalog, metrics).start(Duration.ofMillis(config.startTimeoutMs()));
    }
}
