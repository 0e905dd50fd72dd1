package io.kvrelay.ingest.pods;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import io.kvrelay.ingest.position.RecoveredPositions;
import io.kvrelay.ingest.position.WorkerId;
import io.kvrelay.ingest.publish.Outbound;
import io.kvrelay.ingest.zmq.WorkerSubscriber;
import io.kvrelay.schemas.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * The pods the bridge subscribes to, changeable while it runs: one {@link WorkerSubscriber} thread per DP rank.
 *
 * <p>Thread-safe: adds and removes are serialised (they are rare); reads never wait.
 */
public final class PodRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodRegistry.class);
    private static final long JOIN_MS = 5_000;

    private final ZContext ctx;
    private final ZmqConfig zmq;
    private final BoundedHandoff<Outbound> handoff;
    private final BridgeMetrics metrics;
    private final Topics topics;
    private final WorkerCapacity capacity;
    // Concurrent so that health, metrics and status never wait behind a slow add or remove.
    private final Map<String, RunningPod> pods = new ConcurrentHashMap<>();
    private final Object mutation = new Object();

    public PodRegistry(ZContext ctx, ZmqConfig zmq, BoundedHandoff<Outbound> handoff, BridgeMetrics metrics,
                       Topics topics, WorkerCapacity capacity) {
        this.ctx = ctx;
        this.capacity = capacity;
        this.zmq = zmq;
        this.handoff = handoff;
        this.metrics = metrics;
        this.topics = topics;
        metrics.gaugeWorkers(this::workerCount);
    }

    /** A pod and its running workers, one per DP rank. */
    public record RunningPod(PodConfig config, List<WorkerSubscriber> workers, List<Thread> threads) {
    }

    /**
     * @throws PodExistsException       if a pod with the same id is already subscribed
     * @throws CapacityExceededException if its workers would exceed what this bridge can hold
     */
    public RunningPod add(PodConfig pod) {
        return add(pod, null);
    }

    /**
     * @param recovered where each worker's last delivered batch is in Kafka (the bridge restarted), or null: the
     *                  workers start there and prove continuity through the replay before delivering past it
     */
    public RunningPod add(PodConfig pod, RecoveredPositions recovered) {
        synchronized (mutation) {
            return addLocked(pod, recovered);
        }
    }

    private RunningPod addLocked(PodConfig pod, RecoveredPositions recovered) {
        String id = pod.key().id();
        if (pods.containsKey(id)) {
            throw new PodExistsException("pod " + id + " is already subscribed");
        }
        int workersNow = workerCount();
        if (workersNow + pod.dpRanks() > capacity.workers()) {
            metrics.workersRefused(pod.dpRanks());
            throw new CapacityExceededException("pod " + id + " refused: its " + pod.dpRanks() + " worker(s) would"
                    + " exceed this bridge's capacity of " + capacity.workers() + " workers (" + workersNow + " running;"
                    + " raise the process's file-descriptor limit, set zmq.maxWorkers, or run another bridge)");
        }
        List<WorkerSubscriber> workers = new ArrayList<>(pod.dpRanks());
        List<Thread> threads = new ArrayList<>(pod.dpRanks());
        for (int rank = 0; rank < pod.dpRanks(); rank++) {
            WorkerSubscriber w = new WorkerSubscriber(pod, rank, zmq, ctx, handoff, metrics, topics);
            if (recovered != null) {
                recovered.positionOf(new WorkerId(pod.key(), rank)).ifPresent(at -> w.resumeFrom(at.lastSequence(),
                        at.payloadDigest(), at.publishedAtMicros(), at.topic(), at.publisherId()));
            }
            Thread t = new Thread(w, "zmq-" + w.name());
            t.setDaemon(true);
            workers.add(w);
            threads.add(t);
        }
        RunningPod running = new RunningPod(pod, List.copyOf(workers), List.copyOf(threads));
        pods.put(id, running);
        threads.forEach(Thread::start);
        log.info("pod {} added: {} rank(s) at {}", id, pod.dpRanks(), pod.pubEndpoint(0));
        return running;
    }

    /**
     * Stops the pod's workers and emits {@code WorkerReset(POD_REMOVED)} for each, so consumers purge it.
     *
     * @return the removed pod, or empty if it was not subscribed
     */
    public Optional<PodConfig> remove(String podId) throws InterruptedException {
        Optional<RunningPod> p = take(podId);
        if (p.isPresent()) {
            for (WorkerSubscriber w : p.get().workers()) {
                w.emitRemoved();
            }
            log.info("pod {} removed", podId);
        }
        return p.map(RunningPod::config);
    }

    /**
     * Stops the pod's workers WITHOUT a removal record: the pod lives on, another bridge takes it over and resumes
     * where these workers stopped.
     *
     * @return the released pod, or empty if it was not subscribed
     */
    public Optional<PodConfig> release(String podId) throws InterruptedException {
        Optional<RunningPod> p = take(podId);
        p.ifPresent(running -> log.info("pod {} released", podId));
        return p.map(RunningPod::config);
    }

    /** Out of the registry, its workers stopped. */
    private Optional<RunningPod> take(String podId) throws InterruptedException {
        RunningPod p;
        synchronized (mutation) {
            p = pods.remove(podId);
        }
        if (p != null) {
            stop(p);
        }
        return Optional.ofNullable(p);
    }

    /** Whether {@code ranks} more workers fit within this bridge's capacity now. */
    public boolean fits(int ranks) {
        return workerCount() + ranks <= capacity.workers();
    }

    /** Waits until every worker thread has ended: its socket and state must not be shared with anyone after. */
    private static void stop(RunningPod p) throws InterruptedException {
        p.workers().forEach(WorkerSubscriber::stop);
        for (Thread t : p.threads()) {
            // A worker notices stop within one poll or replay timeout; say so if that takes unusually long.
            while (!joined(t)) {
                log.warn("{} is still stopping", t.getName());
            }
        }
    }

    private static boolean joined(Thread t) throws InterruptedException {
        t.join(JOIN_MS);
        return !t.isAlive();
    }

    /** Sorted by pod id. */
    public Collection<RunningPod> pods() {
        return pods.values().stream().sorted(Comparator.comparing(p -> p.config().key().id())).toList();
    }

    public Optional<RunningPod> get(String podId) {
        return Optional.ofNullable(pods.get(podId));
    }

    private int workerCount() {
        return pods.values().stream().mapToInt(p -> p.workers().size()).sum();
    }

    /** Stops every worker (no removal records: a shutdown is not a removal). */
    @Override
    public void close() throws InterruptedException {
        synchronized (mutation) {
            for (RunningPod p : pods.values()) {
                p.workers().forEach(WorkerSubscriber::stop);
            }
            for (RunningPod p : pods.values()) {
                stop(p);
            }
            pods.clear();
        }
    }

    /** The bridge cannot hold the pod's workers. */
    public static final class CapacityExceededException extends IllegalStateException {
        public CapacityExceededException(String message) {
            super(message);
        }
    }

    /** The pod is already subscribed. */
    public static final class PodExistsException extends IllegalArgumentException {
        public PodExistsException(String message) {
            super(message);
        }
    }
}
