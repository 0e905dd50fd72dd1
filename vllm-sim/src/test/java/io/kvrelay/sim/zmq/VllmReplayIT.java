package io.kvrelay.sim.zmq;

import static io.kvrelay.sim.zmq.ZmqClients.await;
import static io.kvrelay.sim.zmq.ZmqClients.isEndMarker;
import static io.kvrelay.sim.zmq.ZmqClients.recvExactly;
import static io.kvrelay.sim.zmq.ZmqClients.requestReplay;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** Replay served as vLLM serves it (publishing thread, ROUTER HWM 1000, pacing) against the roomy mode. */
class VllmReplayIT {
    private static final Logger LOG = LoggerFactory.getLogger(VllmReplayIT.class);
    private static final String TOPIC = "kv@10.0.0.5@m";
    private static final int LONG_REPLAY = 30_000;
    // 4 KiB replies: 120 MB in all, far more than loopback's socket buffers and both pipes can hold.
    private static final byte[] PAYLOAD = new byte[4096];
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final ZContext client = new ZContext(1);

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void shouldCutALongReplayInVllmModeWhileTheReaderIsPaused() {
        try (KvEventPublisher pub = publisherWith(Fidelity.vllm(), LONG_REPLAY)) {
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());
            requestReplay(dealer, 0);
            // The consumer reads nothing until the send loop is over (a GC or VM pause): only the pipes hold replies.
            await("the send loop to end", DEADLINE, () -> pub.replayStats().served() == 1);

            ReplayStats s = pub.replayStats();
            List<ZmqClients.Frames> got = recvExactly(dealer, s.repliesSent() + s.endMarkersSent(), DEADLINE);
            LOG.info("vLLM-mode replay of {}: {} replies sent, {} dropped, end marker {}", LONG_REPLAY,
                    s.repliesSent(), s.repliesDropped(), s.endMarkersSent() == 1 ? "sent" : "dropped");

            assertThat(s.batchesReplayed()).isEqualTo(LONG_REPLAY);
            assertThat(s.repliesSent() + s.repliesDropped()).isEqualTo(LONG_REPLAY);
            assertThat(s.repliesDropped()).as("dropped at the ROUTER's HWM of 1000").isPositive();
            List<Long> seqs = batchSeqs(got);
            assertThat(seqs).as("fewer replies than buffered, in order").hasSizeLessThan(LONG_REPLAY)
                    .hasSize((int) s.repliesSent()).isSorted().doesNotHaveDuplicates();
            assertThat(seqs.get(0)).isZero();
            assertThat(got.stream().anyMatch(ZmqClients::isEndMarker)).as("end marker arrives only if it was sent")
                    .isEqualTo(s.endMarkersSent() == 1);
            assertThat(recvNothingMore(dealer)).isTrue();
        }
    }

    @Test
    void shouldDeliverEveryReplyOfALongReplayInRoomyMode() {
        try (KvEventPublisher pub = publisherWith(Fidelity.roomy(), LONG_REPLAY)) {
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());
            requestReplay(dealer, 0);
            await("the send loop to end", DEADLINE, () -> pub.replayStats().served() == 1);

            List<ZmqClients.Frames> got = recvExactly(dealer, LONG_REPLAY + 1, DEADLINE);

            ReplayStats s = pub.replayStats();
            assertThat(s.repliesSent()).isEqualTo(LONG_REPLAY);
            assertThat(s.repliesDropped()).isZero();
            assertThat(s.endMarkersSent()).isEqualTo(1);
            assertThat(batchSeqs(got)).hasSize(LONG_REPLAY).isSorted().doesNotHaveDuplicates();
            assertThat(isEndMarker(got.get(LONG_REPLAY))).isTrue();
        }
    }

    @Test
    void shouldMakePublishWaitForTheWholeReplayInVllmMode() {
        int buffered = 2_000;
        // Paced to about a second, so the publish below is most likely issued mid-replay.
        Fidelity paced = Fidelity.vllm().withReplayPace(Duration.ofNanos(500_000));
        // Small replies: the paused reader's socket buffers hold them all, so nothing is dropped here.
        try (KvEventPublisher pub = publisherWith(paced, buffered, new byte[16])) {
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());
            requestReplay(dealer, 0);
            await("the replay to start", DEADLINE, pub::replayInProgress);

            long t0 = System.nanoTime();
            long seq = pub.publishRaw(new byte[] {42});
            LOG.info("publish issued mid-replay returned after {} ms", (System.nanoTime() - t0) / 1_000_000);

            ReplayStats s = pub.replayStats();
            assertThat(s.served()).as("publish returned only after the whole send loop").isEqualTo(1);
            assertThat(s.inProgress()).isFalse();
            assertThat(seq).isEqualTo(buffered);
            List<ZmqClients.Frames> got = recvExactly(dealer, buffered + 1, DEADLINE);
            assertThat(batchSeqs(got)).as("the batch published meanwhile is not in the replay")
                    .hasSize(buffered).allMatch(q -> q < buffered);
        }
    }

    @Test
    void shouldKeepPublishingDuringAReplayInRoomyMode() {
        int buffered = 2_000;
        // Paced to 100 s: the replay is still being sent when the publish returns, and close() cuts it.
        Fidelity paced = Fidelity.roomy().withReplayPace(Duration.ofMillis(50));
        KvEventPublisher pub = publisherWith(paced, buffered, new byte[16]);
        try {
            requestReplay(ZmqClients.dealer(client, pub.replayEndpoint()), 0);
            await("the replay to start", DEADLINE, pub::replayInProgress);

            long seq = pub.publishRaw(new byte[] {42});

            assertThat(seq).isEqualTo(buffered);
            assertThat(pub.replayStats().inProgress()).isTrue();
            assertThat(pub.replayStats().served()).isZero();
        } finally {
            pub.close();
        }
        assertThat(pub.replayStats().aborted()).as("closing the publisher cut the replay").isEqualTo(1);
        assertThat(pub.replayStats().inProgress()).isFalse();
    }

    @Test
    void shouldSpaceRepliesByThePace() {
        int buffered = 100;
        Duration pace = Duration.ofMillis(2);
        try (KvEventPublisher pub = publisherWith(Fidelity.vllm().withReplayPace(pace), buffered, new byte[16])) {
            ZMQ.Socket dealer = ZmqClients.dealer(client, pub.replayEndpoint());
            long start = System.nanoTime();
            requestReplay(dealer, 0);
            List<ZmqClients.Frames> got = recvExactly(dealer, buffered + 1, DEADLINE);
            long elapsed = System.nanoTime() - start;

            assertThat(isEndMarker(got.get(buffered))).isTrue();
            assertThat(elapsed).as("a lower bound only: a busy machine makes it longer, never shorter")
                    .isGreaterThanOrEqualTo(pace.toNanos() * (buffered - 1));
        }
    }

    private static KvEventPublisher publisherWith(Fidelity fidelity, int batches) {
        return publisherWith(fidelity, batches, PAYLOAD);
    }

    private static KvEventPublisher publisherWith(Fidelity fidelity, int batches, byte[] payload) {
        PublisherConfig cfg = PublisherConfig.loopback(TOPIC).withHwmAndBuffer(100_000, batches)
                .withFidelity(fidelity);
        KvEventPublisher pub = new KvEventPublisher(cfg);
        for (int i = 0; i < batches; i++) {
            pub.publishRaw(payload);
        }
        return pub;
    }

    /** The seqs of the batch replies (topic shape: {@code ["", topic, seq8, payload]}), end marker left out. */
    private static List<Long> batchSeqs(List<ZmqClients.Frames> replies) {
        List<Long> seqs = new ArrayList<>(replies.size());
        for (ZmqClients.Frames f : replies) {
            if (!isEndMarker(f)) {
                seqs.add(f.seqAt(2));
            }
        }
        return seqs;
    }

    private static boolean recvNothingMore(ZMQ.Socket dealer) {
        dealer.setReceiveTimeOut(200);
        return ZmqClients.recv(dealer) == null;
    }
}
