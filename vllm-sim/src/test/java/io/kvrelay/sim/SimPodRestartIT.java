package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.zmq.Fidelity;
import io.kvrelay.sim.zmq.KvEventPublisher;
import io.kvrelay.sim.zmq.PublishedBatch;
import io.kvrelay.sim.zmq.SeqFrame;
import io.kvrelay.sim.zmq.ZmqClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZEvent;
import org.zeromq.ZMQ;
import org.zeromq.ZMonitor;

/** A restart as vLLM restarts: the process goes away for a while, then a new incarnation binds and bursts. */
class SimPodRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int BURST = 20;

    private final ZContext client = new ZContext(1);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    @AfterEach
    void closeClient() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(2_000);
        }
        client.close();
    }

    @Test
    void shouldDisconnectForTheDowntimeThenStartAtSeqZeroWithOnlyTheBurstBuffered() throws Exception {
        SimPodConfig cfg = SimPodConfig.builder("pod-r").dpRanks(2).preset(FidelityPreset.VLLM_SNAPSHOT)
                .fidelity(FidelityPreset.VLLM_SNAPSHOT.fidelity().withHeartbeat(Duration.ZERO))
                .restartPlan(RestartPlan.processExit(Duration.ofMillis(500), BURST)).build();
        try (SimPod pod = SimPod.start(cfg)) {
            int pubPort = pod.pubPort(0);
            int replayPort = pod.replayPort(0);
            UUID before = pod.publisherId(0);
            for (int i = 0; i < 5; i++) {
                pod.serve(0, tokens(i * 100, i * 100 + 32), null);
            }
            ZMQ.Socket events = monitoredSubscriber(pod.pubEndpoint(0));
            assertThat(pod.awaitSubscribers(0, 1, WAIT)).isTrue();

            while (ZEvent.recv(events, ZMQ.DONTWAIT) != null) {
                // drop events from before the restart (a connect attempt the handshake timer tore down)
            }
            CompletableFuture<Void> restarted = pod.restartAsync(pod.config().restartPlan());
            awaitEvent(events, ZMonitor.Event.DISCONNECTED);
            // The socket closed inside goDown, so the rank is down now: this request waits for the new incarnation.
            PublishedBatch served = pod.serve(0, tokens(0, 32), null).orElseThrow();
            restarted.get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(served.epoch()).isEqualTo(1);
            assertThat(served.seq()).as("after the burst, which the new incarnation published at once")
                    .isEqualTo(BURST);
            assertThat(pod.isUp(0)).isTrue();
            assertThat(pod.pubPort(0)).isEqualTo(pubPort);
            assertThat(pod.replayPort(0)).isEqualTo(replayPort);
            assertThat(pod.epoch(1)).isEqualTo(1);
            assertThat(pod.publisherId(0)).isNotEqualTo(before).isEqualTo(served.publisherId());

            List<PublishedBatch> log = pod.publishLog(0).snapshot();
            assertThat(log).extracting(b -> b.epoch() + ":" + b.seq()).startsWith("0:0", "0:1", "0:2", "0:3", "0:4",
                    "1:0", "1:1").endsWith("1:" + BURST).hasSize(5 + BURST + 1);
            List<ZmqClients.Frames> replies = ZmqClients.replay(ZmqClients.dealer(client, pod.replayEndpoint(0)), 0);
            assertThat(replies).as("the new buffer holds the burst and the served batch, nothing older")
                    .hasSize(BURST + 2);
            for (int i = 0; i <= BURST; i++) {
                byte[] frame = replies.get(i).get(2);
                assertThat(SeqFrame.seqOf(frame)).isEqualTo(i);
                assertThat(SeqFrame.publisherIdOf(frame)).isEqualTo(pod.publisherId(0));
                assertThat(replies.get(i).get(3)).isEqualTo(log.get(5 + i).payload());
            }
            assertThat(pod.replayStats(0).served()).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepTheSocketsAndStillBurstWhenTheRestartKeepsThemBound() {
        try (SimPod pod = SimPod.start(SimPodConfig.builder("pod-k").build())) {
            pod.serve(0, tokens(0, 32), null);
            int port = pod.pubPort(0);

            pod.restart(new RestartPlan(RestartPlan.Style.KEEP_SOCKETS, Duration.ZERO, 3));

            assertThat(pod.publishLog(0).snapshot()).extracting(b -> b.epoch() + ":" + b.seq())
                    .containsExactly("0:0", "1:0", "1:1", "1:2");
            assertThat(pod.pubPort(0)).isEqualTo(port);
            assertThat(pod.publisher(0).replayStats().buffered()).isEqualTo(3);
        }
    }

    @Test
    void shouldCutAVllmModeReplayBeingSentWhenTheProcessExits() {
        // Paced to 100 s: only the exit can end this replay within the test.
        SimPodConfig cfg = SimPodConfig.builder("pod-x").preset(FidelityPreset.VLLM)
                .fidelity(Fidelity.vllm().withReplayPace(Duration.ofMillis(50))).build();
        try (SimPod pod = SimPod.start(cfg)) {
            for (int i = 0; i < 2_000; i++) {
                pod.publishRaw(0, new byte[] {1});
            }
            KvEventPublisher old = pod.publisher(0);
            ZmqClients.requestReplay(ZmqClients.dealer(client, pod.replayEndpoint(0)), 0);
            ZmqClients.await("the replay to start", WAIT, old::replayInProgress);

            pod.restart(RestartPlan.processExit(Duration.ofMillis(100), 0));

            assertThat(old.replayStats().aborted()).as("the exit cut the replay").isEqualTo(1);
            assertThat(old.replayStats().served()).isZero();
            assertThat(pod.epoch(0)).isEqualTo(1);
            assertThat(pod.replayStats(0).buffered()).isZero();
        }
    }

    /** A SUB receiving on its own thread, with a socket monitor whose events the test reads. */
    private ZMQ.Socket monitoredSubscriber(String endpoint) {
        String address = "inproc://restart-it-sub-" + System.nanoTime();
        ZMQ.Socket sub = client.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setHandshakeIvl(ZmqClients.HANDSHAKE_IVL_MS);
        sub.setReceiveTimeOut(20);
        sub.subscribe(new byte[0]);
        sub.monitor(address, ZMQ.EVENT_DISCONNECTED);
        ZMQ.Socket events = client.createSocket(SocketType.PAIR);
        events.connect(address);
        sub.connect(endpoint);
        // A SUB (re)subscribes only from inside recv: keep it receiving on its own thread, as a bridge does.
        Thread t = new Thread(() -> {
            try {
                while (running) {
                    ZmqClients.recv(sub);
                }
            } finally {
                sub.close();
            }
        }, "restart-it-sub");
        t.setDaemon(true);
        t.start();
        threads.add(t);
        return events;
    }

    private static void awaitEvent(ZMQ.Socket events, ZMonitor.Event wanted) {
        long until = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < until) {
            ZEvent e = ZEvent.recv(events, ZMQ.DONTWAIT);
            if (e == null) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            } else if (e.getEvent() == wanted) {
                return;
            }
        }
        throw new AssertionError("no " + wanted + " event within " + WAIT);
    }

    private static int[] tokens(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }
}
