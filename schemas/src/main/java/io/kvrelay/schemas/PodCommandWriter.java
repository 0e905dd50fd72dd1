package io.kvrelay.schemas;

import io.kvrelay.schemas.avro.PodCommand;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Writes operators' drain and undrain commands to the pod-status topic (stream-app's and the router's admin endpoints
 * both use it, so a command is keyed and partitioned in one place). Key {@code <pod id>|command}, so compaction
 * keeps the latest command beside the latest status; partition = the pod id's partition (Kafka's default partitioner
 * on the pod id), so stream-app reads it in the task that owns the pod.
 */
public final class PodCommandWriter implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AvroCodec<PodCommand> codec = AvroCodec.podCommands();

    public PodCommandWriter(String bootstrapServers, String topic, Map<String, String> clientOverrides) {
        Properties p = new Properties();
        p.putAll(clientOverrides);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(p);
        this.topic = topic;
    }

    /** Sends and waits for the broker's acknowledgement. */
    public synchronized void send(PodCommand c) throws ExecutionException, InterruptedException, TimeoutException {
        String podId = c.getNamespace() + "/" + c.getService() + "/" + c.getPod();
        int partitions = producer.partitionsFor(topic).size();
        int partition = partitionOf(podId, partitions);
        byte[] key = (podId + "|command").getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, partition, key, codec.encode(c))).get(10, TimeUnit.SECONDS);
    }

    /** The partition Kafka's default partitioner gives a record keyed by this pod id. */
    public static int partitionOf(String podId, int partitions) {
        return Utils.toPositive(Utils.murmur2(podId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Override
    public void close() {
        producer.close();
    }
}
