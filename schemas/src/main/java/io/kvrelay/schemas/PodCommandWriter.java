package io.kvrelay.schemas;

import io.kvrelay.schemas.avro.PodCommand;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * Writes operators' drain and undrain commands to the pod-status topic (stream-app's and the router's admin endpoints
 * both use it, so a command is keyed and partitioned in one place). Key {@code <pod id>|command}, so compaction
 * keeps the latest command beside the latest status; partition = the pod id's partition (Kafka's default partitioner
 * on the pod id), so stream-app reads it in the task that owns the pod.
 */
public final class PodCommandWriter implements AutoCloseable {
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final AvroCodec<PodCommand> codec = AvroCodec.podCommands();

    public PodCommandWriter(KafkaClients kafka, String topic) {
        // Fails fast: a drain is an operator waiting for an answer, not a pipeline that may wait for Kafka.
        this.producer = kafka.producer("kvrelay-pod-commands", Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000"));
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
