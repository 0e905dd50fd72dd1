package io.kvrelay.router.decisions;

import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.avro.RouteDecision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes every routing decision to the route-decisions topic, off the request path: {@link #offer} puts the
 * already-built decision in a bounded queue and returns at once (no encoding, no Kafka call on the request thread);
 * one thread, the publisher's own, drains the queue in batches, encodes each decision with
 * {@link RouteDecisionEncoder} (Avro single-object encoding, byte-identical to Avro's own encoder) and sends. A full
 * queue (Kafka slow or down) drops the decision and counts it ({@code kvrelay_router_decisions_dropped_total}):
 * analytics may lose records, the response never waits for Kafka.
 */
public final class DecisionPublisher implements AutoCloseable {
    /** Header naming the router that decided: replicas skip their own decisions without decoding them. */
    public static final String ROUTER_HEADER = "kvrelay-router";

    private static final Logger log = LoggerFactory.getLogger(DecisionPublisher.class);
    /** Decisions taken from the queue at once, encoded and handed to the producer in one go. */
    private static final int BATCH = 512;
    /**
     * While decisions flow, the publisher looks at the queue this often instead of being woken by each one: a wake-up
     * per decision cost the request thread a signal and the machine a thread switch, for records nobody reads within
     * milliseconds. When the queue stays empty it blocks again, so an idle router does not poll.
     */
    private static final long BUSY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long IDLE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final BlockingQueue<Supplier<RouteDecision>> queue;
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Counter published;
    private final Counter dropped;
    private final Counter failed;
    private final Thread sender;
    private volatile boolean running = true;
    /** One callback for every record: counts, allocates nothing per send. */
    private final Callback callback;

    public DecisionPublisher(Producer<byte[], byte[]> producer, String topic, int capacity, MeterRegistry registry) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("decisions.bufferSize must be > 0, got " + capacity);
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.producer = producer;
        this.topic = topic;
        this.published = Counter.builder("kvrelay.router.decisions.published")
                .description("decisions written to the route-decisions topic").register(registry);
        this.dropped = Counter.builder("kvrelay.router.decisions.dropped")
                .description("decisions not published: the buffer was full (Kafka slow or down)").register(registry);
        this.failed = Counter.builder("kvrelay.router.decisions.failed")
                .description("decisions Kafka refused or timed out").register(registry);
        this.callback = (md, e) -> {
            if (e == null) {
                published.increment();
            } else {
                failed.increment();
            }
        };
        this.sender = new Thread(this::run, "decision-publisher");
        sender.setDaemon(true);
        sender.start();
    }

    /** A producer that never blocks the sender long: Kafka down means records expire and are counted as failed. */
    public static Producer<byte[], byte[]> producer(KafkaClients kafka, String routerId) {
        return kafka.producer(routerId + "-decisions", Map.of(
                ProducerConfig.ACKS_CONFIG, "1",
                // Short: other replicas count this decision's work only once they read it (DecisionFeed).
                ProducerConfig.LINGER_MS_CONFIG, "5",
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"));
    }

    /** Never blocks. Returns false when the decision was dropped. */
    public boolean offer(RouteDecision d) {
        return offer(() -> d);
    }

    /**
     * A decision built on the publisher's thread: the request thread only enqueues what it already holds (the record
     * copies every block key into a boxed list, which is work the answer does not wait for). Never blocks.
     */
    public boolean offer(Supplier<RouteDecision> d) {
        if (queue.offer(d)) {
            return true;
        }
        dropped.increment();
        return false;
    }

    public int depth() {
        return queue.size();
    }

    private void run() {
        RouteDecisionEncoder encoder = new RouteDecisionEncoder();
        List<Supplier<RouteDecision>> batch = new ArrayList<>(BATCH);
        int sent = 0;
        long lastSeen = System.nanoTime();
        while (running || !queue.isEmpty()) {
            try {
                if (queue.drainTo(batch, BATCH) == 0) {
                    if (System.nanoTime() - lastSeen < IDLE_AFTER_NANOS) {
                        java.util.concurrent.locks.LockSupport.parkNanos(BUSY_PAUSE_NANOS);
                        continue;
                    }
                    Supplier<RouteDecision> first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                }
                lastSeen = System.nanoTime();
                for (sent = 0; sent < batch.size(); sent++) {
                    RouteDecision d;
                    byte[] value;
                    try {
                        d = batch.get(sent).get();
                        value = encoder.encode(d);
                    } catch (RuntimeException e) {
                        // a decision with a required field missing: a bug upstream, not a reason to lose the batch
                        failed.increment();
                        log.warn("decision not encodable, dropped: {}", e.toString());
                        continue;
                    }
                    String key = d.getChosenPod() != null ? d.getChosenPod() : d.getNamespace() + "/" + d.getService();
                    // Stamped with the decision's instant, not the send's (up to a queue wait later): a replay
                    // merges decisions with KV events by timestamp and must see the caches as the decision did.
                    ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, null, d.getAtMicros() / 1000,
                            key.getBytes(StandardCharsets.UTF_8), value);
                    rec.headers().add(ROUTER_HEADER, d.getRouterId().getBytes(StandardCharsets.UTF_8));
                    producer.send(rec, callback);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // send() timed out waiting for metadata (Kafka down): these are lost, counted, and we go on.
                failed.increment(batch.size() - sent);
                log.debug("decision publishing failed: {}", e.getMessage());
            } finally {
                batch.clear();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
