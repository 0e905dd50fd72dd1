package io.kvrelay.ingest.discovery;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.api.model.PodList;
import io.kvrelay.ingest.catalog.DesiredPod;
import io.kvrelay.ingest.catalog.PodCatalog;
import io.kvrelay.ingest.catalog.PodSource;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog's Kubernetes source: an informer per namespace (list, then watch, re-listing after a lost watch) over
 * the pods the label selector picks. The only class that touches the Kubernetes client's types.
 *
 * <p>What a pod means: it is first subscribed once it is Ready (vLLM answers and publishes); from then on only its
 * deletion, or its replacement by a new pod of the same name (a new uid), ends it, with a removal. A pod that is not
 * Ready for a while (a restart of the vLLM container, an overload) stays: its cache is still there, and the bridge's
 * own restart detection handles a new vLLM process.
 */
public final class KubernetesPodSource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubernetesPodSource.class);

    private final KubernetesConfig config;
    private final KubernetesClient client;
    private final boolean ownsClient;
    private final PodCatalog catalog;
    private final VllmPodReader reader;
    private final BridgeMetrics metrics;
    private final List<SharedIndexInformer<Pod>> informers = new ArrayList<>();
    // Guarded by this: namespace/name -> the pod subscribed to under that name, and the uids seen Ready once.
    private final Map<String, DesiredPod> current = new HashMap<>();
    private final Set<String> readySeen = new HashSet<>();
    private final Set<String> problemsLogged = new HashSet<>();
    private boolean synced;

    /**
     * With a client of its own: to {@code apiServer} if set, else configured the usual way (in a pod: its service
     * account; else kubeconfig, environment).
     */
    static KubernetesPodSource create(KubernetesConfig config, PodCatalog catalog, BridgeMetrics metrics) {
        KubernetesClientBuilder builder = new KubernetesClientBuilder();
        if (config.apiServer() != null) {
            builder.withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(config.apiServer()).build());
        }
        return new KubernetesPodSource(config, builder.build(), true, catalog, metrics);
    }

    /** With a client of the caller's, which it keeps (tests: a mock API server's). */
    public KubernetesPodSource(KubernetesConfig config, KubernetesClient client, PodCatalog catalog,
                               BridgeMetrics metrics) {
        this(config, client, false, catalog, metrics);
    }

    private KubernetesPodSource(KubernetesConfig config, KubernetesClient client, boolean ownsClient,
                                PodCatalog catalog, BridgeMetrics metrics) {
        this.config = config;
        this.client = client;
        this.ownsClient = ownsClient;
        this.catalog = catalog;
        this.metrics = metrics;
        this.reader = new VllmPodReader(config);
    }

    /**
     * Lists the pods and starts watching; the catalog gets the whole first list at once.
     *
     * @throws IllegalStateException when the API does not answer within {@code timeout} (or refuses: RBAC)
     */
    public KubernetesPodSource start(Duration timeout) {
        if (!config.allNamespaces() && config.namespaces().isEmpty() && client.getNamespace() == null) {
            close();
            throw new IllegalStateException("discovery.kubernetes.namespaces is empty and the bridge's own namespace"
                    + " is unknown (not in a pod, none in kubeconfig): name the namespaces to watch");
        }
        List<String> namespaces = config.allNamespaces() ? List.of("*")
                : config.namespaces().isEmpty() ? List.of(client.getNamespace()) : config.namespaces();
        try {
            for (String ns : namespaces) {
                FilterWatchListDeletable<Pod, PodList, PodResource> pods = "*".equals(ns)
                        ? client.pods().inAnyNamespace().withLabelSelector(config.labelSelector())
                        : client.pods().inNamespace(ns).withLabelSelector(config.labelSelector());
                SharedIndexInformer<Pod> informer = pods.runnableInformer(config.resyncMs());
                informer.addEventHandler(new Handler());
                informers.add(informer);
            }
            for (SharedIndexInformer<Pod> i : informers) {
                i.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot list pods (" + config.labelSelector() + ") in " + namespaces
                    + " at " + client.getMasterUrl() + ": " + rootCause(e) + " (the bridge's service account needs get,"
                    + " list and watch on pods there)", e);
        }
        List<DesiredPod> first;
        synchronized (this) {
            synced = true;
            first = List.copyOf(current.values());
        }
        catalog.replaceAll(PodSource.KUBERNETES, first);
        log.info("Kubernetes: {} vLLM pod(s) ready to subscribe to in {} ({})", first.size(), namespaces,
                config.labelSelector());
        return this;
    }

    /** How many pods this source names now. */
    public synchronized int size() {
        return current.size();
    }

    private final class Handler implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod pod) {
            seen(pod);
        }

        @Override
        public void onUpdate(Pod old, Pod pod) {
            seen(pod);
        }

        @Override
        public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
            gone(key(pod), pod.getMetadata().getUid());
        }
    }

    private void seen(Pod pod) {
        PodFacts facts = facts(pod);
        String key = key(pod);
        DesiredPod next = null;
        synchronized (this) {
            if (facts.ready()) {
                readySeen.add(facts.uid());
            }
            if (readySeen.contains(facts.uid())) {
                VllmPodReader.Reading r = reader.read(facts);
                next = r.pod();
                if (next == null && problemsLogged.add(facts.uid() + "|" + r.problem())) {
                    metrics.discoveryUnreadable();
                    log.warn("Kubernetes pod {} ({}) is not subscribed to: {}", key, facts.uid(), r.problem());
                }
            }
        }
        if (next == null) {
            // Not Ready yet (a replacement that is starting), or unreadable: whatever had this name ends.
            gone(key, null);
        } else {
            replace(key, next);
        }
    }

    private void replace(String key, DesiredPod next) {
        DesiredPod before;
        boolean tell;
        synchronized (this) {
            before = current.put(key, next);
            tell = synced;
        }
        if (!tell) {
            return;
        }
        if (before != null && !before.id().equals(next.id())) {
            catalog.remove(PodSource.KUBERNETES, before.id()); // its service label changed: another pod id
        }
        catalog.put(next);
    }

    /** @param uid only if the pod under this name has this uid; null: whichever */
    private void gone(String key, String uid) {
        DesiredPod before;
        boolean tell;
        synchronized (this) {
            before = current.get(key);
            if (before == null || (uid != null && !uid.equals(before.incarnation()))) {
                if (uid != null) {
                    readySeen.remove(uid);
                }
                return;
            }
            current.remove(key);
            if (uid != null) {
                readySeen.remove(uid);
            }
            tell = synced;
        }
        if (tell) {
            catalog.remove(PodSource.KUBERNETES, before.id());
        }
    }

    /** The innermost cause: the client wraps what went wrong ("An error has occurred") several times over. */
    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    private static String key(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    static PodFacts facts(Pod pod) {
        var meta = pod.getMetadata();
        boolean ready = false;
        String ip = null;
        if (pod.getStatus() != null) {
            ip = pod.getStatus().getPodIP();
            if (pod.getStatus().getConditions() != null) {
                for (PodCondition c : pod.getStatus().getConditions()) {
                    ready |= "Ready".equals(c.getType()) && "True".equals(c.getStatus());
                }
            }
        }
        String ownerKind = null;
        String ownerName = null;
        if (meta.getOwnerReferences() != null) {
            for (OwnerReference o : meta.getOwnerReferences()) {
                if (Boolean.TRUE.equals(o.getController())) {
                    ownerKind = o.getKind();
                    ownerName = o.getName();
                }
            }
        }
        List<PodFacts.Container> containers = new ArrayList<>();
        if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
            for (Container c : pod.getSpec().getContainers()) {
                containers.add(new PodFacts.Container(c.getName(), c.getCommand(), c.getArgs()));
            }
        }
        return new PodFacts(meta.getNamespace(), meta.getName(), meta.getUid(), meta.getLabels(),
                meta.getAnnotations(), ip, ready, ownerKind, ownerName, containers);
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::stop);
        informers.clear();
        if (ownsClient) {
            client.close();
        }
    }
}
