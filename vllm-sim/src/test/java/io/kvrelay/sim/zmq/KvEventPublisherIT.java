package io.kvrelay.sim.zmq;

import static io.kvrelay.sim.zmq.ZmqClients.recv;
import static io.kvrelay.sim.zmq.ZmqClients.replay;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.msgpack.core.MessagePack;
import org.msgpack.value.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** The publisher against real JeroMQ sockets on loopback, from the consumer's side. */
class KvEventPublisherIT {
    private static final Logger LOG = LoggerFactory.getLogger(KvEventPublisherIT.class);
    private static final String TOPIC = "kv@10.0.0.5@m";
    private static final byte[] END = {-1, -1, -1, -1, -1, -1, -1, -1};
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ZContext client = new ZContext(1);

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void subscriberReceivesThreeFramesWithSeqFromZero() throws Exception {
        try (KvEventPublisher pub = new KvEventPublisher(PublisherConfig.loopback(TOPIC).withRank(0));
             ZmqClients.Subscriber sub = subscriber(pub)) {

            PublishedBatch b0 = pub.publish(List.of(SimEvent.Stored.gpu(new long[] {1}, null, new int[16], 16)));
            pub.publish(List.of(SimEvent.Removed.gpu(1)));
            pub.publish(List.of(new SimEvent.Cleared()));

            for (long seq = 0; seq < 3; seq++) {
                ZmqClients.Frames f = sub.poll(WAIT);
                assertThat(f).isNotNull();
                assertThat(f.size()).isEqualTo(3);
                assertThat(new String(f.get(0), StandardCharsets.UTF_8)).isEqualTo(TOPIC);
                assertThat(f.seqAt(1)).isEqualTo(seq);
                if (seq == 0) {
                    assertThat(f.get(2)).isEqualTo(b0.payload());
                }
            }
            assertThat(b0.seq()).isZero();
            assertThat(b0.summary().storedBlocks()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(ReplayReplyShape.class)
    void replaySendsEveryBufferedBatchFromStartThenTheEndMarker(ReplayReplyShape shape) {
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC)
                .withLayout(PayloadLayout.ARRAY_FULL, HashEncoding.INT, shape);
        try (KvEventPublisher pub = new KvEventPublisher(cfg)) {
            byte[][] payloads = new byte[5][];
            for (int i = 0; i < 5; i++) {
                payloads[i] = pub.publish(List.of(SimEvent.Removed.gpu(i))).payload();
            }
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());

            List<ZmqClients.Frames> replies = replay(dealer, 2);

            assertThat(replies).hasSize(4);
            for (int i = 0; i < 3; i++) {
                ZmqClients.Frames f = replies.get(i);
                assertThat(f.get(0)).as("DEALER keeps the delimiter").isEmpty();
                if (shape == ReplayReplyShape.WITH_TOPIC) {
                    assertThat(f.size()).isEqualTo(4);
                    assertThat(new String(f.get(1), StandardCharsets.UTF_8)).isEqualTo(TOPIC);
                } else {
                    assertThat(f.size()).isEqualTo(3);
                }
                assertThat(f.seqAt(f.size() - 2)).isEqualTo(2 + i);
                assertThat(f.get(f.size() - 1)).isEqualTo(payloads[2 + i]);
            }
            ZmqClients.Frames end = replies.get(3);
            if (shape == ReplayReplyShape.WITH_TOPIC) {
                assertThat(end.frames()).satisfiesExactly(e -> assertThat(e).isEmpty(), t -> assertThat(t).isEmpty(),
                        s -> assertThat(s).isEqualTo(END), p -> assertThat(p).isEmpty());
            } else {
                assertThat(end.frames()).satisfiesExactly(e -> assertThat(e).isEmpty(),
                        s -> assertThat(s).isEqualTo(END), p -> assertThat(p).isEmpty());
            }
            assertThat(pub.replayStats().batchesReplayed()).isEqualTo(3);
        }
    }

    @Test
    void requestOlderThanTheBufferStartsAtTheOldestKeptSeq() {
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withHwmAndBuffer(1000, 3);
        try (KvEventPublisher pub = new KvEventPublisher(cfg)) {
            for (int i = 0; i < 10; i++) {
                pub.publishRaw(new byte[] {(byte) i});
            }
            List<ZmqClients.Frames> replies = replay(ZmqClients.dealer(client, pub.replayEndpoint()), 0);
            assertThat(replies).hasSize(4);
            assertThat(replies.get(0).seqAt(2)).as("gap: 0..6 were evicted").isEqualTo(7);
            assertThat(replies.get(2).seqAt(2)).isEqualTo(9);
            assertThat(replay(ZmqClients.dealer(client, pub.replayEndpoint()), 50)).as("nothing newer").hasSize(1);
        }
    }

    @Test
    void malformedRequestsAreIgnoredAndCounted() {
        try (KvEventPublisher pub = new KvEventPublisher(PublisherConfig.loopback(TOPIC))) {
            pub.publishRaw(new byte[] {1});
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());
            dealer.sendMore(new byte[0]);
            dealer.send(new byte[] {0, 0, 0, 0}, 0); // seq of 4 bytes
            dealer.send(ZmqClients.seq8(0), 0); // no delimiter
            dealer.sendMore(new byte[0]);
            dealer.sendMore(ZmqClients.seq8(0));
            dealer.send(new byte[] {9}, 0); // one frame too many

            List<ZmqClients.Frames> replies = replay(dealer, 0);

            assertThat(replies).as("only the good request was answered").hasSize(2);
            assertThat(pub.replayStats().badRequests()).isEqualTo(3);
            assertThat(pub.replayStats().requests()).isEqualTo(4);
        }
    }

    @Test
    void withheldBatchesLeaveAGapThatReplayFills() throws Exception {
        try (KvEventPublisher pub = new KvEventPublisher(PublisherConfig.loopback(TOPIC).withLogLimit(100));
             ZmqClients.Subscriber sub = subscriber(pub)) {
            pub.publishRaw(new byte[] {0});
            pub.withholdNext(2);
            pub.publishRaw(new byte[] {1});
            pub.publishRaw(new byte[] {2});
            pub.publishRaw(new byte[] {3});

            assertThat(sub.poll(WAIT).seqAt(1)).isZero();
            assertThat(sub.poll(WAIT).seqAt(1)).as("1 and 2 never sent").isEqualTo(3);
            List<ZmqClients.Frames> replies = replay(ZmqClients.dealer(client, pub.replayEndpoint()), 1);
            assertThat(replies).hasSize(4);
            assertThat(replies.get(0).get(3)).containsExactly(1);
            assertThat(pub.log().snapshot()).extracting(PublishedBatch::sentToPub)
                    .containsExactly(true, false, false, true);
            assertThat(pub.withheld()).isEqualTo(2);
        }
    }

    @Test
    void restartResetsSeqAndEmptiesTheReplayBuffer() throws Exception {
        try (KvEventPublisher pub = new KvEventPublisher(PublisherConfig.loopback(TOPIC).withLogLimit(100));
             ZmqClients.Subscriber sub = subscriber(pub)) {
            pub.publishRaw(new byte[] {0});
            pub.publishRaw(new byte[] {1});

            pub.restart();
            assertThat(replay(ZmqClients.dealer(client, pub.replayEndpoint()), 0)).as("buffer emptied").hasSize(1);
            pub.publishRaw(new byte[] {2});

            assertThat(List.of(sub.poll(WAIT).seqAt(1), sub.poll(WAIT).seqAt(1), sub.poll(WAIT).seqAt(1)))
                    .containsExactly(0L, 1L, 0L);
            assertThat(pub.epoch()).isEqualTo(1);
            assertThat(pub.log().snapshot()).extracting(b -> b.epoch() + ":" + b.seq())
                    .containsExactly("0:0", "0:1", "1:0");
        }
    }

    @Test
    void dataParallelRankBindsBasePlusRankForBothEndpoints() throws Exception {
        int pubBase = Endpoints.findFreeRun("127.0.0.1", 3, java.util.Set.of());
        int replayBase = Endpoints.findFreeRun("127.0.0.1", 3, java.util.Set.of(pubBase, pubBase + 1, pubBase + 2));
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withPorts(pubBase, replayBase).withRank(2);
        try (KvEventPublisher pub = new KvEventPublisher(cfg)) {
            assertThat(pub.pubPort()).isEqualTo(pubBase + 2);
            assertThat(pub.replayPort()).isEqualTo(replayBase + 2);
            ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, "tcp://127.0.0.1:" + (pubBase + 2), 1000, 0);
            assertThat(pub.awaitSubscribers(1, WAIT)).isTrue();
            pub.publish(List.of(new SimEvent.Cleared()));
            Value batch = unpack(sub.poll(WAIT).get(2));
            sub.close();
            assertThat(batch.asArrayValue().get(2).asIntegerValue().asInt()).as("data_parallel_rank").isEqualTo(2);
        }
    }

    @Test
    void pubReallyDropsBeyondTheHighWaterMark() throws Exception {
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withHwmAndBuffer(100, 10);
        int total = 200_000;
        byte[] payload = new byte[1024];
        try (KvEventPublisher pub = new KvEventPublisher(cfg);
             // A subscriber that needs 0.2 ms per message: it cannot keep up with a burst.
             ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, pub.pubEndpoint(), 100, 200_000)) {
            assertThat(pub.awaitSubscribers(1, WAIT)).isTrue();
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                pub.publishRaw(payload);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            LOG.info("published {} x 1 KiB to a slow subscriber in {} s: {} msg/s", total,
                    String.format("%.3f", seconds), Math.round(total / seconds));
            List<ZmqClients.Frames> received = sub.drain(Duration.ofMillis(500));
            LOG.info("slow subscriber received {} of {} (last seq {})", received.size(), total,
                    received.isEmpty() ? -1 : received.get(received.size() - 1).seqAt(1));
            assertThat(received).isNotEmpty().hasSizeLessThan(total);
            long gaps = 0;
            for (int i = 1; i < received.size(); i++) {
                gaps += received.get(i).seqAt(1) != received.get(i - 1).seqAt(1) + 1 ? 1 : 0;
            }
            assertThat(gaps).as("drops show up as seq gaps").isPositive();
        }
    }

    private ZmqClients.Subscriber subscriber(KvEventPublisher pub) {
        ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, pub.pubEndpoint(), 1000, 0);
        assertThat(pub.awaitSubscribers(1, WAIT)).isTrue();
        return sub;
    }

    private static Value unpack(byte[] payload) {
        try (var u = MessagePack.newDefaultUnpacker(payload)) {
            return u.unpackValue();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
