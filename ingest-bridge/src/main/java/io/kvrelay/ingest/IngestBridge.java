package io.kvrelay.ingest;

import io.kvrelay.ingest.catalog.AdminPodLog;
import io.kvrelay.ingest.catalog.DesiredPod;
import io.kvrelay.ingest.catalog.PodCatalog;
import io.kvrelay.ingest.catalog.PodSource;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.discovery.KubernetesDiscovery;
import io.kvrelay.ingest.fleet.FleetMembership;
import io.kvrelay.ingest.fleet.Ownership;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import io.kvrelay.ingest.pods.PodReconciler;
import io.kvrelay.ingest.pods.PodRegistry;
import io.kvrelay.ingest.pods.WorkerCapacity;
import io.kvrelay.ingest.position.PositionRecovery;
import io.kvrelay.ingest.position.RecoveredPositions;
import io.kvrelay.ingest.publish.KafkaPublisher;
import io.kvrelay.ingest.publish.Outbound;
import io.kvrelay.ingest.status.PodMetricsScraper;
import io.kvrelay.ingest.status.PodStatusReporter;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * The running bridge: ZeroMQ subscribers, the bounded hand-off, the Kafka publisher, and the pod-status reporter
 * with the scraper of the pods' load (its own threads, off the ingest path).
 *
 * <pre>
 *   pod/rank SUB+DEALER threads --put (blocks when full)--> BoundedHandoff --drain--> KafkaPublisher --> Kafka
 * </pre>
 *
 * <p>Which pods run: the {@link PodCatalog} knows every pod (config file, admin API through the bridge-pods topic,
 * Kubernetes), the {@link Ownership} says which are this bridge's (all, or its slots of a shared fleet), and the
 * {@link PodReconciler} starts and stops workers to match.
 */
public final class IngestBridge implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IngestBridge.class);
    private static final Duration ADMIN_WRITE_TIMEOUT = Duration.ofSeconds(30);

    /** Lifecycle; only moves forward. */
    public enum State { CREATED, RUNNING, STOPPING, STOPPED }

    private final BridgeConfig config;
    private final BridgeMetrics metrics = new BridgeMetrics();
    private final Topics topics;
    private final BoundedHandoff<Outbound> handoff;
    private final ZContext ctx = new ZContext();
    private final WorkerCapacity capacity;
    private final PodRegistry registry;
    private final PodCatalog catalog = new PodCatalog();
    private final PodReconciler reconciler;
    private final ScheduledExecutorService resync = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pod-reconcile");
        t.setDaemon(true);
        return t;
    });
    private final KafkaPublisher publisher;
    private final PodMetricsScraper loadScraper;
    private final PodStatusReporter statusReporter;
    private final Thread publisherThread;
    private AdminPodLog adminPods;
    private AutoCloseable kubernetes;
    private volatile FleetMembership fleet;
    private volatile String lastReconcileFailure;
    private volatile State state = State.CREATED;

    public IngestBridge(BridgeConfig config) {
        this.config = config;
        this.topics = config.kafka().topics();
        this.handoff = new BoundedHandoff<>(config.handoffCapacity());
        metrics.gaugeHandoffDepth(handoff::depth);
        this.capacity = WorkerCapacity.of(config.zmq().maxWorkers());
        // Before the first socket: JeroMQ sizes its slot table once (default 1,024 sockets, about 340 workers).
        ctx.getContext().setMaxSockets(capacity.contextSockets());
        this.registry = new PodRegistry(ctx, config.zmq(), handoff, metrics, topics, capacity);
        this.publisher = new KafkaPublisher(KafkaPublisher.createProducer(config.kafka(), config.instanceId()),
                handoff, metrics);
        this.publisherThread = new Thread(publisher, "kafka-publisher");
        this.loadScraper = new PodMetricsScraper(config.podMetrics(),
                () -> registry.pods().stream().map(PodRegistry.RunningPod::config).toList(), metrics);
        this.statusReporter = new PodStatusReporter(registry, loadScraper, handoff, metrics,
                topics.podStatus().name(), config.instanceId(), config.zmq().livenessTimeoutMs());
        this.reconciler = new PodReconciler(catalog, registry, new PodReconciler.Effects() {
            @Override
            public RecoveredPositions recover(List<PodConfig> pods) {
                return recoverPositions(pods);
            }

            @Override
            public void removed(PodConfig pod) {
                loadScraper.forget(pod.key().id());
                statusReporter.removed(pod);
            }

            @Override
            public void released(PodConfig pod) {
                loadScraper.forget(pod.key().id()); // its status is the new owner's to report
            }
        });
        metrics.gaugeCatalog(() -> catalog.desired().size(), () -> registry.pods().size());
    }

    /** @throws RuntimeException if it cannot start; everything it opened is closed again */
    public synchronized IngestBridge start() {
        if (state != State.CREATED) {
            throw new IllegalStateException("bridge already " + state);
        }
        try {
            startParts();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state = State.RUNNING;
            close();
            throw new IllegalStateException("interrupted while starting", e);
        } catch (RuntimeException e) {
            state = State.RUNNING; // so close() tears down what did start
            close();
            throw e;
        }
        return this;
    }

    private void startParts() throws InterruptedException {
        List<TopicSpec> needed = new ArrayList<>(topics.all());
        if (config.fleet().enabled()) {
            needed.add(topics.bridgeFleet());
        }
        if (config.kafka().createTopics()) {
            TopicCreator.ensure(config.kafka().clients(), needed);
        } else {
            // Someone else creates them; writing before their leaders are ready can lose records (KAFKA-15591).
            TopicCreator.awaitWritable(config.kafka().clients(), needed.stream().map(TopicSpec::name).toList());
        }
        publisherThread.start();
        catalog.replaceAll(PodSource.CONFIG, config.pods().stream()
                .map(p -> new DesiredPod(p, PodSource.CONFIG, null)).toList());
        adminPods = new AdminPodLog(config.kafka().clients(), config.instanceId(), topics.bridgePods().name(), catalog)
                .start(Duration.ofMillis(config.kafka().recovery().timeoutMs()));
        if (config.discovery().kubernetes().enabled()) {
            kubernetes = KubernetesDiscovery.start(config.discovery().kubernetes(), catalog, metrics);
        }
        if (config.fleet().enabled()) {
            // Owns nothing until Kafka assigns slots (set before any change can reconcile: a bridge of a fleet never
            // runs a pod as if it were alone); the first pods start on the membership thread.
            fleet = new FleetMembership(config.fleet(), config.kafka().clients(), config.kafka().topicPrefix(),
                    config.instanceId(), topics.bridgeFleet().name(), new HandOver());
            reconciler.ownership(fleet);
            metrics.gaugeFleetSlots(() -> fleet.ownedSlots().size());
        }
        catalog.onChange(this::reconcileQuietly);
        if (fleet != null) {
            fleet.start();
        } else {
            // Where each worker's last batch is in Kafka: a restarted bridge resumes there instead of claiming losses.
            reconciler.reconcile();
        }
        // A safety net: additions that failed (Kafka away during a recovery) are tried again.
        resync.scheduleWithFixedDelay(this::reconcileQuietly, 10, 10, TimeUnit.SECONDS);
        // Same period, the scraper first: each status carries a scrape at most one interval old.
        loadScraper.start(config.statusIntervalMs());
        statusReporter.start(config.statusIntervalMs());
        state = State.RUNNING;
        log.info("ingest bridge {} running: {} pod(s) -> {} ({}); capacity {} workers{}", config.instanceId(),
                registry.pods().size(), topics.kvEvents().name(), config.kafka().bootstrapServers(), capacity.workers(),
                fleet == null ? "" : "; sharing the fleet in group "
                        + config.fleet().groupIdOr(config.kafka().topicPrefix()));
    }

    /** A shared fleet's rebalance: pods handed over leave nothing in flight, pods taken over start. */
    private final class HandOver implements FleetMembership.Listener {
        @Override
        public void released(Set<Integer> slots) {
            try {
                reconciler.releaseUnowned();
                if (!publisher.awaitDelivered(Duration.ofMillis(config.fleet().handOverTimeoutMs()))) {
                    log.warn("fleet: Kafka did not acknowledge the released pods' last batches within {} ms; their"
                            + " next owner may read some of them again", config.fleet().handOverTimeoutMs());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void assigned(Set<Integer> slots) {
            reconcileQuietly();
        }
    }

    private void reconcileQuietly() {
        try {
            reconciler.reconcile();
            lastReconcileFailure = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            lastReconcileFailure = e.getMessage();
            log.error("pods not started: {} (tried again in 10 s)", e.getMessage());
        }
    }

    private Ownership ownership() {
        return fleet == null ? Ownership.WHOLE_FLEET : fleet;
    }

    /** What {@link #addPod} did. @param running the pod's workers, empty when another bridge of the fleet runs it */
    public record Added(PodConfig pod, Optional<PodRegistry.RunningPod> running) {
    }

    /**
     * Adds a pod for every bridge (kept in the bridge-pods topic: it survives restarts), and runs it here if this
     * bridge owns it.
     *
     * @throws PodRegistry.PodExistsException        when a pod of that id is known already
     * @throws PodRegistry.CapacityExceededException when this bridge owns it and cannot hold its workers
     * @throws IllegalStateException                 when Kafka does not take it, or it is kept but could not start
     */
    public Added addPod(PodConfig pod) throws InterruptedException {
        requireRunning();
        String id = pod.key().id();
        Optional<DesiredPod> known = catalog.get(id);
        if (known.isPresent()) {
            throw new PodRegistry.PodExistsException("pod " + id + " is already known ("
                    + known.get().source().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        boolean owned = ownership().owns(pod.key());
        if (owned && !registry.fits(pod.dpRanks())) {
            metrics.workersRefused(pod.dpRanks());
            throw new PodRegistry.CapacityExceededException("pod " + id + " refused: its " + pod.dpRanks()
                    + " worker(s) would exceed this bridge's capacity of " + capacity.workers() + " workers");
        }
        adminPods.put(pod, ADMIN_WRITE_TIMEOUT);
        Optional<PodRegistry.RunningPod> running = registry.get(id);
        if (owned && running.isEmpty()) {
            throw new IllegalStateException("pod " + id + " is kept, but did not start: "
                    + (lastReconcileFailure == null ? "see the bridge's log" : lastReconcileFailure)
                    + " (tried again every 10 s)");
        }
        return new Added(pod, running);
    }

    /** Null when turned off; throws when Kafka does not answer (a start without positions would report false losses). */
    private RecoveredPositions recoverPositions(List<PodConfig> pods) {
        if (!config.kafka().recoverPositions() || pods.isEmpty()) {
            return null;
        }
        return new PositionRecovery(config.kafka(), config.instanceId()).recover(pods);
    }

    /**
     * Removes a pod: one added through the admin API for every bridge; one from the config file on this bridge until
     * its restart (remove it from the file too).
     *
     * @return the removed pod, or empty if no source names it
     * @throws PodRegistry.PodExistsException when Kubernetes names it: it comes back until the pod is deleted there
     */
    public Optional<PodConfig> removePod(String podId) throws InterruptedException {
        requireRunning();
        Optional<DesiredPod> known = catalog.get(podId);
        if (known.isEmpty()) {
            return Optional.empty();
        }
        switch (known.get().source()) {
            case ADMIN -> adminPods.delete(podId, ADMIN_WRITE_TIMEOUT);
            case CONFIG -> catalog.remove(PodSource.CONFIG, podId);
            case KUBERNETES -> throw new PodRegistry.PodExistsException("pod " + podId + " is discovered from"
                    + " Kubernetes: delete the pod there, or change its labels so the selector no longer picks it");
        }
        return Optional.of(known.get().config());
    }

    /** Every pod the bridges know, this one's or not. */
    public PodCatalog catalog() {
        return catalog;
    }

    /** The slots this bridge owns of a shared fleet, or empty when it is alone. */
    public Optional<FleetMembership> fleet() {
        return Optional.ofNullable(fleet);
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("bridge is " + state);
        }
    }

    public State state() {
        return state;
    }

    /** Healthy: running, the Kafka publisher alive and not blocked, and (sharing a fleet) still in the group. */
    public boolean healthy() {
        return unhealthyReason() == null;
    }

    /** Why the bridge cannot do its job now, or null. */
    public String unhealthyReason() {
        if (state != State.RUNNING) {
            return "bridge is " + state;
        }
        if (!publisherThread.isAlive() || publisher.kafkaBlocked()) {
            return "Kafka is not accepting records";
        }
        if (fleet != null && !fleet.alive()) {
            return "fleet membership failed (see the log): this bridge runs no pods; restart it";
        }
        return null;
    }

    public BridgeMetrics metrics() {
        return metrics;
    }

    public PodRegistry registry() {
        return registry;
    }

    public PodStatusReporter statusReporter() {
        return statusReporter;
    }

    public Topics topics() {
        return topics;
    }

    public int handoffDepth() {
        return handoff.depth();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("{} did not close cleanly: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    /** Stops reading, sends what was handed over, then closes the producer. */
    @Override
    public synchronized void close() {
        if (state == State.STOPPED || state == State.STOPPING) {
            return;
        }
        state = State.STOPPING;
        log.info("ingest bridge stopping");
        resync.shutdownNow();
        try {
            // First hand this bridge's pods over (leaving the group releases them, flushed), then stop the sources.
            if (fleet != null) {
                fleet.close();
            }
            closeQuietly(kubernetes);
            closeQuietly(adminPods);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        statusReporter.close();
        loadScraper.close();
        try {
            registry.close();
            publisher.stop();
            publisherThread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publisher.close(Duration.ofSeconds(10));
        ctx.close();
        state = State.STOPPED;
        log.info("ingest bridge stopped");
    }
}
