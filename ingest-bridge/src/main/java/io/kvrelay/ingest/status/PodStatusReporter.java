package io.kvrelay.ingest.status;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import io.kvrelay.ingest.pods.PodRegistry;
import io.kvrelay.ingest.publish.Outbound;
import io.kvrelay.ingest.zmq.MicrosClock;
import io.kvrelay.ingest.zmq.WorkerStats;
import io.kvrelay.ingest.zmq.WorkerSubscriber;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes every pod's liveness (connected, last event time, last sequence), its serving address and its load (from
 * the {@link PodMetricsScraper}, null where unknown) to the compacted pod-status topic at a fixed interval. A status
 * that does not fit in the hand-off is skipped and counted: the next interval replaces it.
 */
public final class PodStatusReporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodStatusReporter.class);

    private final PodRegistry registry;
    private final PodMetricsScraper loads;
    private final BoundedHandoff<Outbound> handoff;
    private final BridgeMetrics metrics;
    private final String topic;
    private final String source;
    private final long livenessMicros;
    private final AvroCodec<PodStatus> codec = AvroCodec.podStatus();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pod-status");
        t.setDaemon(true);
        return t;
    });

    public PodStatusReporter(PodRegistry registry, PodMetricsScraper loads, BoundedHandoff<Outbound> handoff,
                             BridgeMetrics metrics, String topic, String source, long livenessTimeoutMs) {
        this.registry = registry;
        this.loads = loads;
        this.handoff = handoff;
        this.metrics = metrics;
        this.topic = topic;
        this.source = source;
        this.livenessMicros = livenessTimeoutMs * 1_000L;
    }

    public void start(long intervalMs) {
        timer.scheduleAtFixedRate(this::reportAll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void reportAll() {
        try {
            for (PodRegistry.RunningPod p : registry.pods()) {
                publish(status(p), false);
            }
        } catch (RuntimeException e) {
            log.warn("pod status round failed: {}", e.toString());
        }
    }

    /** Thread-safe: the codec is used only under this lock. */
    public synchronized PodStatus status(PodRegistry.RunningPod p) {
        long now = MicrosClock.now();
        List<WorkerStatus> workers = new ArrayList<>(p.workers().size());
        boolean allUp = true;
        for (int rank = 0; rank < p.workers().size(); rank++) {
            WorkerSubscriber w = p.workers().get(rank);
            WorkerStats s = w.stats();
            // Connected means the socket is up; an idle pod publishes nothing and is still alive.
            boolean up = s.connected() || (s.lastMessageAtMicros() > 0 && now - s.lastMessageAtMicros() < livenessMicros);
            allUp &= up;
            workers.add(new WorkerStatus(rank, up, s.lastSequence() < 0 ? null : s.lastSequence(),
                    s.lastMessageAtMicros() < 0 ? null : s.lastMessageAtMicros(), s.batches(), s.resets(),
                    s.deadLettered(), s.replayRequests()));
        }
        String id = p.config().key().id();
        long unknownFor = loads.unknownForNanos(id);
        PodStatus status = base(p.config(), allUp ? PodState.CONNECTED : PodState.DISCONNECTED, workers, now,
                loads.load(id));
        status.setLoadUnknownSinceMicros(unknownFor > 0 ? now - unknownFor / 1_000 : null);
        return status;
    }

    /** The last word on a removed pod; waits a while for room, since nothing will replace it. */
    public synchronized void removed(PodConfig pod) {
        publish(base(pod, PodState.REMOVED, List.of(), MicrosClock.now(), PodLoad.UNKNOWN), true);
    }

    private PodStatus base(PodConfig pod, PodState state, List<WorkerStatus> workers, long now, PodLoad load) {
        return new PodStatus(pod.namespace(), pod.service(), pod.pod(), pod.index(), pod.host(), pod.model(),
                state, workers, now, pod.address(), load.runningRequests(), load.waitingRequests(),
                load.kvCacheUsage(), source, null);
    }

    private synchronized void publish(PodStatus status, boolean wait) {
        String id = status.getNamespace() + "/" + status.getService() + "/" + status.getPod();
        Outbound o = new Outbound(topic, id.getBytes(java.nio.charset.StandardCharsets.UTF_8), codec.encode(status),
                null, -1, System.nanoTime());
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            if (wait ? !handoff.put(o, () -> System.nanoTime() < deadline) : !handoff.offer(o)) {
                metrics.statusSkipped();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
