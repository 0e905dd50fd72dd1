package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.sim.SimPod;
import io.kvrelay.testkit.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Reads and decodes what the bridge wrote, for assertions. */
final class TopicReader {
    private final KafkaBroker broker;

    TopicReader(KafkaBroker broker) {
        this.broker = broker;
    }

    List<KvEventBatch> events(String topic) {
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        return decodeAll(topic, codec);
    }

    /** Each pod's last batch sequence in the event topic (bridge-made records left out). */
    Map<String, Long> lastSequences(String topic) {
        Map<String, Long> last = new HashMap<>();
        for (KvEventBatch b : events(topic)) {
            if (b.getOrigin() != EventOrigin.BRIDGE) {
                last.put(b.getPod(), b.getSequence());
            }
        }
        return last;
    }

    /** The pods (rank 0) whose last published batch is not the last in the topic, each with both sequences. */
    List<String> behind(List<SimPod> pods, String topic) {
        Map<String, Long> last = lastSequences(topic);
        List<String> out = new ArrayList<>();
        for (SimPod p : pods) {
            long published = p.publisher(0).nextSeq() - 1;
            if (!Long.valueOf(published).equals(last.get(p.config().pod()))) {
                out.add(p.config().pod() + ": kafka=" + last.get(p.config().pod()) + " published=" + published);
            }
        }
        return out;
    }

    /** Waits until at least {@code more} new batches of every pod reached the topic, whoever delivers them. */
    void awaitNewBatches(List<SimPod> pods, String topic, int more, Duration timeout) {
        Map<String, Long> before = lastSequences(topic);
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Map<String, Long> now = lastSequences(topic);
            for (SimPod p : pods) {
                assertThat(now.get(p.config().pod())).as(p.config().pod())
                        .isNotNull().isGreaterThan(before.getOrDefault(p.config().pod(), -1L) + more);
            }
        });
    }

    List<DeadLetter> deadLetters(String topic) {
        return decodeAll(topic, AvroCodec.deadLetters());
    }

    List<PodStatus> statuses(String topic) {
        return decodeAll(topic, AvroCodec.podStatus());
    }

    private <T extends org.apache.avro.specific.SpecificRecord> List<T> decodeAll(String topic, AvroCodec<T> codec) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : broker.readAll(topic, Duration.ofSeconds(30))) {
            try {
                out.add(codec.decode(r.value()));
            } catch (IOException e) {
                throw new UncheckedIOException("undecodable record at " + r.topic() + "/" + r.partition() + "@" + r.offset(), e);
            }
        }
        return out;
    }
}
