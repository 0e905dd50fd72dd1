package io.kvrelay.ingest;

import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
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
import java.util.List;
import java.util.Optional;
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
 */
public final class IngestBridge implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IngestBridge.class);

    /** Lifecycle; only moves forward. */
    public enum State { CREATED, RUNNING, STOPPING, STOPPED }

    private final BridgeConfig config;
    private final BridgeMetrics metrics = new BridgeMetrics();
    private final Topics topics;
    private final BoundedHandoff<Outbound> handoff;
    private final ZContext ctx = new ZContext();
    private final WorkerCapacity capacity;
    private final PodRegistry registry;
    private final KafkaPublisher publisher;
    private final PodMetricsScraper loadScraper;
    private final PodStatusReporter statusReporter;
    private final Thread publisherThread;
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
    }

    /** @throws RuntimeException if it cannot start; everything it opened is closed again */
    public synchronized IngestBridge start() {
        if (state != State.CREATED) {
            throw new IllegalStateException("bridge already " + state);
        }
        try {
            startParts();
        } catch (RuntimeException e) {
            state = State.RUNNING; // so close() tears down what did start
            close();
            throw e;
        }
        return this;
    }

    private void startParts() {
        if (config.kafka().createTopics()) {
            TopicCreator.ensure(config.kafka().clients(), topics.all());
        } else {
            // Someone else creates them; writing before their leaders are ready can lose records (KAFKA-15591).
            TopicCreator.awaitWritable(config.kafka().clients(),
                    topics.all().stream().map(TopicSpec::name).toList());
        }
        publisherThread.start();
        // Where each worker's last batch is in Kafka: a restarted bridge resumes there instead of claiming losses.
        RecoveredPositions recovered = recoverPositions(config.pods());
        for (PodConfig pod : config.pods()) {
            try {
                registry.add(pod, recovered);
            } catch (PodRegistry.CapacityExceededException e) {
                log.error(e.getMessage()); // one line per refused pod; the others run
            }
        }
        // Same period, the scraper first: each status carries a scrape at most one interval old.
        loadScraper.start(config.statusIntervalMs());
        statusReporter.start(config.statusIntervalMs());
        state = State.RUNNING;
        log.info("ingest bridge {} running: {} pod(s) -> {} ({}); capacity {} workers", config.instanceId(),
                registry.pods().size(), topics.kvEvents().name(), config.kafka().bootstrapServers(), capacity.workers());
    }

    public PodRegistry.RunningPod addPod(PodConfig pod) {
        requireRunning();
        return registry.add(pod, recoverPositions(List.of(pod)));
    }

    /** Null when turned off; throws when Kafka does not answer (a start without positions would report false losses). */
    private RecoveredPositions recoverPositions(List<PodConfig> pods) {
        if (!config.kafka().recoverPositions() || pods.isEmpty()) {
            return null;
        }
        return new PositionRecovery(config.kafka(), config.instanceId()).recover(pods);
    }

    public Optional<PodConfig> removePod(String podId) throws InterruptedException {
        requireRunning();
        Optional<PodConfig> removed = registry.remove(podId);
        removed.ifPresent(p -> {
            loadScraper.forget(podId);
            statusReporter.removed(p);
        });
        return removed;
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("bridge is " + state);
        }
    }

    public State state() {
        return state;
    }

    /** Healthy: running, and the Kafka publisher is alive and not blocked. */
    public boolean healthy() {
        return state == State.RUNNING && publisherThread.isAlive() && !publisher.kafkaBlocked();
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

    /** Stops reading, sends what was handed over, then closes the producer. */
    @Override
    public synchronized void close() {
        if (state == State.STOPPED || state == State.STOPPING) {
            return;
        }
        state = State.STOPPING;
        log.info("ingest bridge stopping");
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
