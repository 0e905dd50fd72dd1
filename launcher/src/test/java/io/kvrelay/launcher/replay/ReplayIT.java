package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.schemas.testing.TestBatches;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay against a real broker: records of three pods spread over 4 partitions with known timestamps, one of them
 * not a kvrelay record; the whole log, then a window of it.
 */
class ReplayIT {
    private static final String TOPIC = "it-replay-" + System.nanoTime() + ".kv-events";
    private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void seed() {
        broker = KafkaBroker.shared();
        TopicCreator.ensure(broker.bootstrapServers(), Map.of(), List.of(new TopicSpec(TOPIC, 4, (short) 1, Map.of())));
        KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(broker.bootstrapServers())) {
            send(p, 0, "pod-a", encoder.encode(batch("pod-a", 0, TestBatches.stored(1, 2, 3))));
            send(p, 1, "pod-b", encoder.encode(batch("pod-b", 0, TestBatches.stored(7, 8))));
            send(p, 2, "pod-c", encoder.encode(batch("pod-c", 0, TestBatches.stored(4, 5))));
            send(p, 3, "pod-a", encoder.encode(batch("pod-a", 1, new BlockRemoved(List.of(2L), null, null))));
            send(p, 4, "pod-b", encoder.encode(batch("pod-b", 1, new AllBlocksCleared())));
            send(p, 5, "pod-b", encoder.encode(batch("pod-b", 2, TestBatches.stored(9))));
            send(p, 6, "pod-x", new byte[] {1, 2, 3}); // not a kvrelay record
            send(p, 7, "pod-c", encoder.encode(batch("pod-c", 1, new WorkerReset(
                    WorkerResetReason.UNRECOVERABLE_GAP, 0L, 9L, "test"))));
            p.flush();
        }
    }

    @Test
    void shouldRebuildTheWholeLogAndReportPerPod() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ReplayCommand.Result r = ReplayCommand.run(broker.bootstrapServers(), TOPIC, null, null, Duration.ofSeconds(2),
                dir, new PrintStream(progress, true, StandardCharsets.UTF_8));
        assertThat(r.records()).isEqualTo(8);
        assertThat(r.undecodable()).isEqualTo(1);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("8 / 8 records");

        JsonNode json = new ObjectMapper().readTree(dir.resolve("replay.json").toFile());
        assertThat(json.path("pods").path("ns/svc/pod-a").path("blocksStored").asLong()).isEqualTo(3);
        assertThat(json.path("pods").path("ns/svc/pod-a").path("blocksRemoved").asLong()).isEqualTo(1);
        assertThat(json.path("pods").path("ns/svc/pod-b").path("clears").asLong()).isEqualTo(1);
        assertThat(json.path("pods").path("ns/svc/pod-c").path("resets").path("UNRECOVERABLE_GAP").asLong())
                .isEqualTo(1);
        // Samples every 2 s of event time, in order: at 2 s pod-a holds 3 (t=0), pod-b 2 (t=1); at the end 2, 1, 0.
        JsonNode samples = json.path("samples");
        assertThat(samples.get(0).path("at").asText()).isEqualTo("2026-01-01T00:00:02Z");
        assertThat(samples.get(0).path("blocksHeld").path("ns/svc/pod-a").asLong()).isEqualTo(3);
        assertThat(samples.get(0).path("blocksHeld").path("ns/svc/pod-b").asLong()).isEqualTo(2);
        JsonNode last = samples.get(samples.size() - 1);
        assertThat(last.path("blocksHeld").path("ns/svc/pod-a").asLong()).isEqualTo(2);
        assertThat(last.path("blocksHeld").path("ns/svc/pod-b").asLong()).isEqualTo(1);
        assertThat(last.path("blocksHeld").path("ns/svc/pod-c").asLong()).isZero();
        assertThat(Files.readAllLines(dir.resolve("blocks-held.csv"))).first().isEqualTo("time,pod,blocks_held");
    }

    @Test
    void shouldReplayOnlyTheWindowAsked() throws Exception {
        // [t=3 s, t=6 s): pod-a's removal, pod-b's clear and its next store; the rest is outside.
        ReplayCommand.Result r = ReplayCommand.run(broker.bootstrapServers(), TOPIC,
                Instant.ofEpochMilli(T0 + 3_000), Instant.ofEpochMilli(T0 + 6_000), Duration.ofSeconds(10), dir,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(r.records()).isEqualTo(3);
        JsonNode pods = new ObjectMapper().readTree(dir.resolve("replay.json").toFile()).path("pods");
        assertThat(pods.path("ns/svc/pod-a").path("blocksRemoved").asLong()).isEqualTo(1);
        assertThat(pods.path("ns/svc/pod-b").path("blocksStored").asLong()).isEqualTo(1);
        assertThat(pods.has("ns/svc/pod-c")).isFalse();
    }

    private static KvEventBatch batch(String pod, long seq, Object event) {
        return TestBatches.batch(pod, seq, event, T0 * 1000);
    }

    private static void send(KafkaProducer<byte[], byte[]> p, int second, String pod, byte[] value) {
        p.send(new ProducerRecord<>(TOPIC, null, T0 + second * 1_000L,
                ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }
}
