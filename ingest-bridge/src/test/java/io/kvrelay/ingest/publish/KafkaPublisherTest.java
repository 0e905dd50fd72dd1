package io.kvrelay.ingest.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The publisher loop against a producer that refuses records the way KafkaProducer does: not by throwing, but with a
 * failed future and the callback invoked on the calling thread.
 */
class KafkaPublisherTest {

    /** Refuses the next {@code refusals} sends with {@code error}, then behaves as an auto-completing producer. */
    static final class RefusingProducer extends MockProducer<byte[], byte[]> {
        final AtomicInteger refusals = new AtomicInteger();
        volatile RuntimeException error;

        RefusingProducer() {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> r, Callback cb) {
            if (refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                cb.onCompletion(null, error);
                return CompletableFuture.failedFuture(error);
            }
            return super.send(r, cb);
        }
    }

    private static Outbound record(long seq, List<Long> lost) {
        return new Outbound("t", new byte[] {1}, new byte[] {2}, (s, e) -> lost.add(s), seq, System.nanoTime());
    }

    @Test
    void shouldHoldARecordWhileKafkaIsAwayAndSendItOnceWhenItReturns() throws Exception {
        RefusingProducer producer = new RefusingProducer();
        producer.error = new TimeoutException("Topic t not present in metadata after 1000 ms.");
        producer.refusals.set(3);
        BoundedHandoff<Outbound> handoff = new BoundedHandoff<>(4);
        BridgeMetrics metrics = new BridgeMetrics();
        KafkaPublisher publisher = new KafkaPublisher(producer, handoff, metrics);
        List<Long> lost = new CopyOnWriteArrayList<>();
        Thread t = new Thread(publisher);
        t.start();

        handoff.put(record(7, lost), () -> true);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 1);
        publisher.stop();
        t.join(5_000);

        assertThat(lost).isEmpty();
        assertThat(metrics.count("kvrelay.bridge.produce.errors")).isZero();
        assertThat(publisher.kafkaBlocked()).isFalse();
    }

    @Test
    void shouldReportARecordKafkaRefusesForGoodToItsWorker() throws Exception {
        RefusingProducer producer = new RefusingProducer();
        producer.error = new RecordTooLargeException("too large");
        producer.refusals.set(1);
        BoundedHandoff<Outbound> handoff = new BoundedHandoff<>(4);
        BridgeMetrics metrics = new BridgeMetrics();
        KafkaPublisher publisher = new KafkaPublisher(producer, handoff, metrics);
        List<Long> lost = new CopyOnWriteArrayList<>();
        Thread t = new Thread(publisher);
        t.start();

        handoff.put(record(3, lost), () -> true);
        handoff.put(record(4, lost), () -> true);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 1);
        publisher.stop();
        t.join(5_000);

        assertThat(lost).containsExactly(3L);
        assertThat(metrics.count("kvrelay.bridge.produce.errors")).isEqualTo(1);
    }

    @Test
    void shouldSayKafkaIsBlockedWhileItRefuses() throws Exception {
        RefusingProducer producer = new RefusingProducer();
        producer.error = new TimeoutException("buffer full");
        producer.refusals.set(Integer.MAX_VALUE);
        BoundedHandoff<Outbound> handoff = new BoundedHandoff<>(2);
        KafkaPublisher publisher = new KafkaPublisher(producer, handoff, new BridgeMetrics());
        List<Long> lost = new CopyOnWriteArrayList<>();
        Thread t = new Thread(publisher);
        t.start();

        handoff.put(record(1, lost), () -> true);
        await().atMost(Duration.ofSeconds(5)).until(publisher::kafkaBlocked);
        producer.refusals.set(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> !publisher.kafkaBlocked());
        publisher.stop();
        t.join(5_000);

        assertThat(producer.history()).hasSize(1);
        assertThat(lost).isEmpty();
    }
}
