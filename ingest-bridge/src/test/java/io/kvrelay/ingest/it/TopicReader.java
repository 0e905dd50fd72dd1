package io.kvrelay.ingest.it;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.testkit.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
