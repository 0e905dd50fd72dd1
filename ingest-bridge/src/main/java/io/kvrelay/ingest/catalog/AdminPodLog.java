package io.kvrelay.ingest.catalog;

import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.schemas.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods added through the admin API, kept in a compacted topic (pod id -> the pod's config as JSON; a tombstone
 * when removed) so they survive a restart and every bridge of the fleet knows them, whichever one was asked.
 *
 * <p>Writes go through the log: {@link #put} and {@link #delete} return once THIS bridge has read its own record
 * back and applied it to the catalog (and so reconciled): an add answered 201 is running here if this bridge owns it,
 * and two calls in a row are applied in their order everywhere.
 */
public final class AdminPodLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminPodLog.class);

    private final String topic;
    private final PodCatalog catalog;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final Thread reader;
    private final Map<Integer, Long> applied = new HashMap<>(); // partition -> next offset to apply
    private volatile boolean running = true;
    private long malformed;

    public AdminPodLog(KafkaClients clients, String instanceId, String topic, PodCatalog catalog) {
        this.topic = topic;
        this.catalog = catalog;
        this.consumer = clients.consumer(instanceId + "-admin-pods", Map.of(), Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false",
                // Written without transactions: a consumer sees only what every in-sync replica has (the high watermark).
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"));
        this.producer = clients.producer(instanceId + "-admin-pods", Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.LINGER_MS_CONFIG, "0",
                // An admin call waits for the answer: a definite one within its timeout, not a retry forever.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000"));
        this.reader = new Thread(this::readForever, "admin-pods-reader");
        this.reader.setDaemon(true);
    }

    /**
     * Reads the whole log into the catalog, then follows it on its own thread.
     *
     * @throws IllegalStateException when Kafka does not answer within {@code timeout}
     */
    public AdminPodLog start(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        while (!caughtUp(end)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("could not read " + topic + " within " + timeout);
            }
            pollOnce();
        }
        log.info("{} pod(s) added through the admin API read back from {}",
                catalog.desired().values().stream().filter(p -> p.source() == PodSource.ADMIN).count(), topic);
        reader.start();
        return this;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Adds or replaces the pod, for every bridge. @throws AdminLogException if Kafka does not take it */
    public void put(PodConfig pod, Duration timeout) throws InterruptedException {
        byte[] json;
        try {
            json = ConfigLoader.json().writeValueAsBytes(pod);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        write(pod.key().id(), json, timeout);
    }

    /** Removes the pod, for every bridge. @throws AdminLogException if Kafka does not take it */
    public void delete(String podId, Duration timeout) throws InterruptedException {
        write(podId, null, timeout);
    }

    private void write(String podId, byte[] value, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RecordMetadata md;
        try {
            md = producer.send(new ProducerRecord<>(topic, podId.getBytes(StandardCharsets.UTF_8), value))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new AdminLogException("Kafka did not take the change of " + podId + " in " + topic + ": " + cause);
        }
        synchronized (applied) {
            while (applied.getOrDefault(md.partition(), 0L) <= md.offset()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !running) {
                    throw new AdminLogException("the change of " + podId + " is in " + topic + " (offset "
                            + md.offset() + ") but this bridge has not read it back yet; it applies when it does");
                }
                applied.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    private void readForever() {
        try {
            while (running) {
                pollOnce();
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("reading {} failed; pods added or removed through other bridges are not seen here until a"
                    + " restart", topic, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void pollOnce() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            apply(r);
            synchronized (applied) {
                applied.put(r.partition(), r.offset() + 1);
                applied.notifyAll();
            }
        }
        // A poll past control records or compacted gaps moves the position without records.
        synchronized (applied) {
            for (TopicPartition tp : consumer.assignment()) {
                applied.merge(tp.partition(), consumer.position(tp), Math::max);
            }
            applied.notifyAll();
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        String id = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            catalog.remove(PodSource.ADMIN, id);
            return;
        }
        try {
            PodConfig pod = ConfigLoader.parse(new String(r.value(), StandardCharsets.UTF_8), PodConfig.class);
            if (!pod.key().id().equals(id)) {
                throw new ConfigLoader.InvalidConfigException("key " + id + " names another pod than "
                        + pod.key().id());
            }
            catalog.put(new DesiredPod(pod, PodSource.ADMIN, null));
        } catch (RuntimeException e) {
            malformed++;
            log.warn("{} offset {}: not a pod ({}); skipped ({} so far)", topic, r.offset(), e.getMessage(), malformed);
        }
    }

    @Override
    public void close() {
        running = false;
        producer.close(Duration.ofSeconds(5));
        if (reader.isAlive()) {
            consumer.wakeup();
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(Duration.ofSeconds(5));
        }
        synchronized (applied) {
            applied.notifyAll();
        }
    }

    /** Kafka did not take or has not returned a change. */
    public static final class AdminLogException extends IllegalStateException {
        AdminLogException(String message) {
            super(message);
        }
    }
}
