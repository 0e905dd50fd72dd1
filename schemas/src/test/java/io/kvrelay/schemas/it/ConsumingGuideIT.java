package io.kvrelay.schemas.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.schemas.example.KvEventsConsumerExample;
import io.kvrelay.schemas.testing.TestBatches;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RequiredTools;
import io.kvrelay.testkit.TestProducers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * What schemas/CONSUMING.md promises, on a real broker: the example consumer applies the records the bridge's encoder
 * wrote (store, remove, clear, reset; an undecodable value skipped and counted), and a consumer that is not ours,
 * Debian's kcat, reads values that start with the documented marker and fingerprint.
 */
class ConsumingGuideIT {
    private static final String TOPIC = "it-consuming-" + System.nanoTime() + ".kv-events";

    @Test
    void shouldBeReadableByTheExampleConsumerAndByKcat() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), List.of(new TopicSpec(TOPIC, 1, (short) 1, Map.of())));
        KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        try (KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(broker.bootstrapServers())) {
            send(producer, "pod-a", encoder.encode(batch("pod-a", 0, TestBatches.stored(1, 2, 3))));
            send(producer, "pod-a", encoder.encode(batch("pod-a", 1, new BlockRemoved(List.of(2L), null, null, null, null))));
            send(producer, "pod-b", encoder.encode(batch("pod-b", 0, TestBatches.stored(7, 8))));
            send(producer, "pod-b", encoder.encode(batch("pod-b", 1, new AllBlocksCleared())));
            send(producer, "pod-b", encoder.encode(batch("pod-b", 2, TestBatches.stored(9))));
            send(producer, "pod-c", encoder.encode(batch("pod-c", 0, TestBatches.stored(4, 5))));
            send(producer, "pod-c", encoder.encode(batch("pod-c", 1, new WorkerReset(
                    WorkerResetReason.UNRECOVERABLE_GAP, 0L, 9L, "test"))));
            send(producer, "pod-x", new byte[] {1, 2, 3}); // not a kvrelay record
            producer.flush();
        }

        KvEventsConsumerExample example = new KvEventsConsumerExample();
        List<byte[]> values = readAll(broker.bootstrapServers());
        values.forEach(example::accept);
        assertThat(example.blocksPerWorker()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ns/svc/pod-a#0", 2, "ns/svc/pod-b#0", 1, "ns/svc/pod-c#0", 0));
        assertThat(example.skipped()).isEqualTo(1);

        RequiredTools.require("kcat", "apt-get install kcat");
        Path out = Files.createTempFile("kcat", ".bin");
        Process kcat = new ProcessBuilder("kcat", "-C", "-b", broker.bootstrapServers(), "-t", TOPIC,
                "-o", "beginning", "-c", "1", "-e", "-q", "-f", "%s")
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).as("kcat finished").isTrue();
        assertThat(kcat.exitValue()).isZero();
        byte[] first = Files.readAllBytes(out);
        Files.delete(out);
        long fp = AvroCodec.kvEvents().fingerprint();
        byte[] expected = new byte[10];
        expected[0] = (byte) 0xC3;
        expected[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            expected[2 + i] = (byte) (fp >>> (8 * i)); // little-endian, as CONSUMING.md says
        }
        assertThat(first.length).isGreaterThan(10);
        assertThat(Arrays.copyOf(first, 10)).as("marker and fingerprint as kcat read them").isEqualTo(expected);
        assertThat(first).as("the whole value, as the example consumer read it").isEqualTo(values.get(0));
    }

    private static KvEventBatch batch(String pod, long seq, Object event) {
        return TestBatches.batch(pod, seq, event, System.currentTimeMillis() * 1000);
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String pod, byte[] value) {
        p.send(new ProducerRecord<>(TOPIC, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    private static List<byte[]> readAll(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<byte[]> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (out.size() < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

}
