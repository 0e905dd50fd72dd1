package io.kvrelay.router.inflight;

import io.kvrelay.router.decisions.DecisionPublisher;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.avro.RouteDecision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Other router replicas' decisions, read from the route-decisions topic (the record every replica already writes)
 * into this replica's {@link InFlightLedger}, so each replica counts the work all of them just sent. Reads every
 * partition from its end, without a consumer group (every replica needs every decision, and none from before its
 * start), and skips its own (already counted when made). A decision reaches the others within the publisher's linger
 * plus one fetch: tens of milliseconds ({@code kvrelay_router_inflight_shared_lag_seconds}). Kafka down means the replicas
 * count only their own decisions until it is back: routing goes on.
 */
public final class DecisionFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DecisionFeed.class);

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final String routerId;
    private final byte[] ownId;
    private final InFlightLedger ledger;
    private final Counter shared;
    private final Counter undecodable;
    private final Timer lag;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean reading;

    public DecisionFeed(Consumer<byte[], byte[]> consumer, String topic, String routerId, InFlightLedger ledger,
                        MeterRegistry registry) {
        this.consumer = consumer;
        this.topic = topic;
        this.routerId = routerId;
        this.ownId = routerId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.ledger = ledger;
        this.shared = Counter.builder("kvrelay.router.inflight.shared")
                .description("other replicas' decisions added to this replica's in-flight work").register(registry);
        this.undecodable = Counter.builder("kvrelay.router.inflight.undecodable")
                .description("route-decisions records that could not be decoded (skipped)").register(registry);
        this.lag = Timer.builder("kvrelay.router.inflight.shared.lag")
                .description("another replica's decision instant to this replica counting it")
                .publishPercentiles(0.5, 0.99).register(registry);
        io.micrometer.core.instrument.Gauge.builder("kvrelay.router.inflight.feed.reading", () -> reading ? 1 : 0)
                .description("1 while this replica reads the other replicas' decisions (0: topic missing, or stopped)")
                .register(registry);
        this.thread = new Thread(this::run, "decision-feed");
        thread.setDaemon(true);
    }

    /** A consumer that reads from the end, commits nothing and asks the broker to answer as soon as a record is there. */
    public static Consumer<byte[], byte[]> consumer(KafkaClients kafka, String routerId) {
        return kafka.consumer(routerId + "-decision-feed", Map.of(
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100"), Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"));
    }

    public DecisionFeed start() {
        thread.start();
        return this;
    }

    private void run() {
        AvroCodec<RouteDecision> codec = AvroCodec.routeDecisions();
        try {
            while (running && !assign()) {
                Thread.sleep(1_000); // the topic is created by whoever starts first; wait for it
            }
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    // Own decisions were counted when made: known by the header, without decoding them.
                    Header from = r.headers().lastHeader(DecisionPublisher.ROUTER_HEADER);
                    if (from != null && Arrays.equals(from.value(), ownId)) {
                        continue;
                    }
                    apply(codec, r.value());
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            log.warn("decision feed stopped: replicas count only their own decisions from now on", e);
        } finally {
            reading = false;
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private boolean assign() {
        List<PartitionInfo> parts;
        try {
            parts = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.debug("route-decisions partitions not available yet: {}", e.getMessage());
            return false;
        }
        if (parts == null || parts.isEmpty()) {
            return false;
        }
        List<TopicPartition> tps = new ArrayList<>(parts.size());
        parts.forEach(p -> tps.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position); // resolves the end now: what is published from here on is read
        reading = true;
        log.info("counting other replicas' decisions from {} ({} partitions)", topic, tps.size());
        return true;
    }

    private void apply(AvroCodec<RouteDecision> codec, byte[] value) {
        RouteDecision d;
        try {
            d = codec.decode(value);
        } catch (java.io.IOException | RuntimeException e) {
            undecodable.increment();
            return;
        }
        // Own decisions were counted when made; a decision without a pod or a prediction (a router before schema
        // v2) adds nothing.
        if (routerId.equals(d.getRouterId()) || d.getChosenPod() == null || d.getPrefillMs() == null) {
            return;
        }
        long atMs = d.getAtMicros() / 1000;
        ledger.add(d.getChosenPod(), atMs, d.getPrefillMs());
        shared.increment();
        lag.record(Math.max(0, System.currentTimeMillis() - atMs), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
