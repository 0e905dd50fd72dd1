package io.kvrelay.sim.zmq;

import static io.kvrelay.sim.zmq.ZmqClients.replay;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.wire.SimEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.value.Value;
import org.zeromq.ZContext;

/** The snapshot variant (vLLM's open pull requests): 24-byte sequence frames with a publisher id, and heartbeats. */
class SnapshotVariantIT {
    private static final String TOPIC = "kv@10.0.0.5@m";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final ZContext client = new ZContext(1);

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void shouldSendSeqAndPublisherIdInTwentyFourBytesAndDrawANewIdOnRestart() throws Exception {
        Fidelity frames24 = Fidelity.vllmSnapshot().withHeartbeat(Duration.ZERO); // no heartbeat: exact seqs
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withLogLimit(100).withFidelity(frames24);
        try (KvEventPublisher pub = new KvEventPublisher(cfg);
             ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, pub.pubEndpoint(), 1000, 0)) {
            assertThat(pub.awaitSubscribers(1, WAIT)).isTrue();
            UUID first = pub.publisherId();
            for (int i = 0; i < 3; i++) {
                pub.publish(List.of(SimEvent.Removed.gpu(i)));
            }

            for (long seq = 0; seq < 3; seq++) {
                byte[] frame = sub.poll(WAIT).get(1);
                assertThat(frame).hasSize(24);
                assertThat(SeqFrame.seqOf(frame)).isEqualTo(seq);
                assertThat(SeqFrame.publisherIdOf(frame)).isEqualTo(first);
            }
            List<ZmqClients.Frames> replies = replay(ZmqClients.dealer(client, pub.replayEndpoint()), 1);
            assertThat(replies).hasSize(3);
            assertThat(replies.subList(0, 2)).allSatisfy(r -> assertThat(SeqFrame.publisherIdOf(r.get(2)))
                    .as("replies carry the same 24-byte frame").isEqualTo(first));
            assertThat(replies.subList(0, 2)).extracting(r -> SeqFrame.seqOf(r.get(2))).containsExactly(1L, 2L);
            byte[] end = replies.get(2).get(2);
            assertThat(end).hasSize(24);
            assertThat(SeqFrame.seqOf(end)).as("end marker: seq all ff").isEqualTo(-1L);

            pub.restart();
            pub.publish(List.of(new SimEvent.Cleared()));

            byte[] after = sub.poll(WAIT).get(1);
            assertThat(SeqFrame.seqOf(after)).isZero();
            assertThat(SeqFrame.publisherIdOf(after)).isEqualTo(pub.publisherId()).isNotEqualTo(first);
            assertThat(pub.log().snapshot()).extracting(b -> b.epoch() + ":" + b.seq() + ":" + b.publisherId())
                    .containsExactly("0:0:" + first, "0:1:" + first, "0:2:" + first,
                            "1:0:" + pub.publisherId());
        }
    }

    @Test
    void shouldSendEmptyBatchesWhileIdle() throws Exception {
        Fidelity beating = Fidelity.vllmSnapshot().withHeartbeat(Duration.ofMillis(200));
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withLogLimit(1000).withFidelity(beating);
        try (KvEventPublisher pub = new KvEventPublisher(cfg);
             ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, pub.pubEndpoint(), 1000, 0)) {
            assertThat(pub.awaitSubscribers(1, WAIT)).isTrue();

            ZmqClients.Frames a = sub.poll(WAIT);
            ZmqClients.Frames b = sub.poll(WAIT);

            assertThat(a).isNotNull();
            assertThat(b).isNotNull();
            assertThat(SeqFrame.seqOf(b.get(1))).as("heartbeats take seqs like any batch")
                    .isEqualTo(SeqFrame.seqOf(a.get(1)) + 1);
            for (ZmqClients.Frames f : List.of(a, b)) {
                Value batch = unpack(f.get(2));
                assertThat(batch.asArrayValue().get(1).asArrayValue().size()).as("no events").isZero();
                assertThat(SeqFrame.publisherIdOf(f.get(1))).isEqualTo(pub.publisherId());
            }
            assertThat(pub.heartbeats()).isGreaterThanOrEqualTo(2);
            assertThat(pub.log().snapshot()).isNotEmpty().allMatch(PublishedBatch::isEmpty);
        }
    }

    private static Value unpack(byte[] payload) {
        try (var u = MessagePack.newDefaultUnpacker(payload)) {
            return u.unpackValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
