package io.kvrelay.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker + controller), started from the Maven artifacts in
 * this JVM. Data lives in a temporary directory that is deleted on close; the port is ephemeral.
 *
 * <p>Start is about 3 s, so share one: {@link #shared()} starts one per JVM (the failsafe run), closed at JVM exit.
 * Tests isolate themselves by topic name, not by broker.
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
    private static KafkaBroker shared;

    private final KafkaClusterTestKit cluster;
    private final Admin admin;
    /** The broker's data, ours to delete once it has stopped (see {@link #start()}). */
    private final Path dir;

    private KafkaBroker(KafkaClusterTestKit cluster, Path dir) {
        this.cluster = cluster;
        this.admin = cluster.admin();
        this.dir = dir;
    }

    /** The broker every test in this JVM shares; started on first use. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            shared = start();
            KafkaBroker b = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "kafka-broker-shutdown"));
        }
        return shared;
    }

    /**
     * The broker halts its JVM when all its log dirs have failed. At JVM exit the test kit's temp-dir cleanup hook
     * races the shared broker's shutdown hook and can delete the log dir under it: the halt then turned a module whose
     * tests all passed into "error occurred in starting fork" (seen once in a fresh-clone CI run). A test JVM must
     * end when its tests end, not when the broker decides: Kafka routes exits through {@link Exit}, so log instead.
     */
    private static synchronized void neverEndTheTestJvm() {
        Exit.setHaltProcedure((status, message) ->
                log.warn("embedded Kafka asked to halt the JVM (status {}: {}); ignored", status, message));
        Exit.setExitProcedure((status, message) ->
                log.warn("embedded Kafka asked to exit the JVM (status {}: {}); ignored", status, message));
    }

    /** A new broker of its own; the caller closes it. */
    public static KafkaBroker start() {
        neverEndTheTestJvm();
        long t0 = System.nanoTime();
        Path dir = null;
        try {
            // A data directory of our own, deleted by close() after the broker stopped. The test kit's default one is
            // deleted by a JVM exit hook of its own that raced the shared broker's shutdown: every CI run logged
            // hundreds of LogDirFailureChannel errors and "error during LogManager shutdown" warnings that read like
            // a failing disk.
            dir = Files.createTempDirectory("kvrelay-kafka-");
            TestKitNodes nodes = new TestKitNodes.Builder().setBaseDirectory(dir)
                    .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "3")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                    .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "false")
                    .build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            log.info("Kafka broker ready at {} in {} ms", cluster.bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            return new KafkaBroker(cluster, dir);
        } catch (Exception e) {
            delete(dir);
            throw new IllegalStateException("cannot start the embedded Kafka broker", e);
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    public Admin admin() {
        return admin;
    }

    public void createTopic(String name, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)));
    }

    public void createTopics(Collection<NewTopic> topics) {
        try {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topics " + topics, e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + topics, e);
        }
    }

    /** Consumer properties for this broker: bytes in, bytes out, from the earliest offset, no group. */
    public Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        return p;
    }

    /**
     * Every record of a topic, from the beginning up to the end offsets as of this call, in partition order.
     * Waits at most {@code timeout} for the end to be reached.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic, timeout).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, timeout));
            end.values().removeIf(v -> v == 0L);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!end.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + "; still waiting for " + end);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r);
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long last = end.get(tp);
                    if (last != null && r.offset() + 1 >= last) {
                        end.remove(tp);
                    }
                }
            }
            return out;
        }
    }

    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(5));
            cluster.close();
        } catch (Exception e) {
            log.warn("error closing the embedded Kafka broker", e);
        }
        delete(dir);
    }

    private static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            log.debug("could not delete {}: {}", dir, e.toString());
        }
    }
}
