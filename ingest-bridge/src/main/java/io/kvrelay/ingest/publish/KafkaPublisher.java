package io.kvrelay.ingest.publish;

import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single consumer of the hand-off: sends every record to Kafka with an idempotent, {@code acks=all} producer.
 *
 * <p>While Kafka is unreachable the producer keeps retrying (the delivery timeout is effectively unbounded) and, once
 * its buffer is full, {@code send} gives up after {@code max.block.ms} with a retriable error; this loop then retries
 * the same record, the hand-off fills up, and the subscriber threads stop reading. Records Kafka refuses for good are
 * counted and reported to their worker; an authorization failure stops the bridge.
 *
 * <p>Runs on its own thread ({@link #run()}); {@link #stop()} may be called from any thread.
 */
public final class KafkaPublisher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);
    private static final int DRAIN_MAX = 512;
    /** An overtaken record still unacknowledged this long after is reported: in order, it would have taken ms. */
    private static final long STUCK_AFTER_NANOS = Duration.ofSeconds(10).toNanos();

    private final Producer<byte[], byte[]> producer;
    private final BoundedHandoff<Outbound> handoff;
    private final BridgeMetrics metrics;
    private volatile boolean running = true;
    private volatile boolean kafkaBlocked;
    private volatile Thread publisherThread;
    private boolean sending; // only read on the publisher thread
    private final SendOrderWatch order = new SendOrderWatch();
    private long nextStuckCheckNanos; // publisher thread only

    public KafkaPublisher(Producer<byte[], byte[]> producer, BoundedHandoff<Outbound> handoff, BridgeMetrics metrics) {
        this.producer = producer;
        this.handoff = handoff;
        this.metrics = metrics;
        metrics.gaugeProduceStuck(order::overtakenInFlight);
    }

    /** The bridge's producer: its defaults, then {@code kafka.producer} (the operator's settings win). */
    public static Properties producerProperties(KafkaSinkConfig cfg, String clientId) {
        return cfg.clients().producerProperties(clientId, Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5",
                ProducerConfig.COMPRESSION_TYPE_CONFIG, cfg.compression(),
                ProducerConfig.LINGER_MS_CONFIG, String.valueOf(cfg.lingerMs()),
                ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024),
                // Keep retrying while Kafka is away instead of expiring records: back-pressure, not loss.
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Integer.MAX_VALUE),
                // A full buffer makes send() give up quickly, so this loop can notice shutdown and retry.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000"));
    }

    public static Producer<byte[], byte[]> createProducer(KafkaSinkConfig cfg, String clientId) {
        return new KafkaProducer<>(producerProperties(cfg, clientId));
    }

    @Override
    public void run() {
        publisherThread = Thread.currentThread();
        List<Outbound> batch = new ArrayList<>(DRAIN_MAX);
        try {
            while (running || handoff.depth() > 0) {
                batch.clear();
                reportStuck();
                if (handoff.drainTo(batch, DRAIN_MAX, 100) == 0) {
                    continue;
                }
                for (Outbound o : batch) {
                    if (o.barrier() != null) {
                        // Everything before it was sent: flush waits until each of those is acknowledged or failed.
                        producer.flush();
                        o.barrier().complete(null);
                    } else {
                        sendUntilAccepted(o);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("Kafka publisher failed; the bridge stops reading", e);
            handoff.fail(e);
        } finally {
            if (kafkaBlocked) {
                // Nothing will drain: count what is left as lost rather than wait forever.
                List<Outbound> left = new ArrayList<>();
                while (drainNow(left) > 0) {
                    left.forEach(o -> lose(o, new org.apache.kafka.common.errors.TimeoutException("Kafka unreachable at shutdown")));
                    left.clear();
                }
            } else {
                producer.flush();
            }
        }
    }

    private void sendUntilAccepted(Outbound o) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(o.topic(), o.key(), o.value());
        while (true) {
            Future<RecordMetadata> sent;
            SendOrderWatch.Ticket ticket = order.sent(o.topic(), o.key(), o.sequence(), System.nanoTime());
            sending = true;
            try {
                sent = producer.send(record, (md, e) -> {
                    if (order.done(ticket, e == null, System.nanoTime())) {
                        metrics.produceOvertaken();
                    }
                    onAck(o, e);
                });
            } finally {
                sending = false;
            }
            // The producer reports its own refusals (full buffer, no metadata, too large, not authorized) through the
            // future and the callback, on this thread, instead of throwing: look at the future to tell them apart.
            Exception refused = sent.isDone() ? failure(sent) : null;
            if (refused == null) {
                if (kafkaBlocked) {
                    kafkaBlocked = false;
                    log.info("Kafka accepts records again");
                }
                return;
            }
            if (refused instanceof AuthenticationException || refused instanceof AuthorizationException) {
                throw new KafkaException("Kafka refuses this bridge: " + refused.getMessage(), refused); // fatal
            }
            if (!(refused instanceof RetriableException)) {
                lose(o, refused);
                return;
            }
            // Buffer full or metadata unavailable: Kafka is away. Hold this record; the hand-off fills behind it.
            if (!kafkaBlocked) {
                kafkaBlocked = true;
                log.warn("Kafka is not accepting records ({}); holding back, subscribers will block", refused.getMessage());
            }
            if (!running) {
                lose(o, refused);
                return;
            }
        }
    }

    /** Once a second: records a later record of their pod overtook, still unacknowledged after the grace. */
    private void reportStuck() {
        long now = System.nanoTime();
        if (now - nextStuckCheckNanos < 0) {
            return;
        }
        nextStuckCheckNanos = now + 1_000_000_000L;
        for (SendOrderWatch.Ticket t : order.stuck(now, STUCK_AFTER_NANOS)) {
            log.error("record of {} for {} (seq {}) unacknowledged {} s after a later one was acknowledged: the "
                            + "producer may be retrying it forever (KAFKA-15591, Kafka before 4.5); restarting the bridge "
                            + "re-reads the pod (from its replay buffer, else with a WorkerReset)",
                    t.pod(), t.topic(), t.sequence, (now - t.sentNanos) / 1_000_000_000L);
        }
    }

    private int drainNow(List<Outbound> sink) {
        try {
            return handoff.drainTo(sink, DRAIN_MAX, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static Exception failure(Future<RecordMetadata> done) {
        try {
            done.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause() instanceof Exception ex ? ex : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    private void lose(Outbound o, Exception e) {
        metrics.produceError();
        log.error("record for {} (seq {}) not written: {}", o.topic(), o.sequence(), e.toString());
        if (o.onLost() != null) {
            o.onLost().lost(o.sequence(), e);
        }
    }

    private void onAck(Outbound o, Exception e) {
        if (e == null) {
            metrics.produceLatency(System.nanoTime() - o.handedAtNs());
        } else if (!(sending && Thread.currentThread() == publisherThread)) {
            lose(o, e); // failed after it was accepted: retries exhausted or a permanent error
        }
        // else: refused synchronously inside send(); sendUntilAccepted decides
    }

    /**
     * Waits until every record handed over before this call is acknowledged (or failed for good). A bridge that hands
     * pods to another calls it after stopping their workers: the other then finds their last batch at the log's tail.
     *
     * @return false if that took longer than {@code timeout} (Kafka away) or the publisher has stopped
     */
    public boolean awaitDelivered(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!handoff.put(Outbound.barrier(done), () -> running && System.nanoTime() < deadline)) {
            return false;
        }
        try {
            done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /** True while Kafka is refusing records (buffer full or unreachable). */
    public boolean kafkaBlocked() {
        return kafkaBlocked;
    }

    /** Stops after sending what is already handed over. */
    public void stop() {
        running = false;
    }

    public void close(Duration timeout) {
        producer.close(timeout);
    }
}
