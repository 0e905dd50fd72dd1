package io.kvrelay.ingest.zmq;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.ingest.decode.DecodeException;
import io.kvrelay.ingest.decode.DecodedBatch;
import io.kvrelay.ingest.decode.KvEventDecoder;
import io.kvrelay.ingest.handoff.BoundedHandoff;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import io.kvrelay.ingest.publish.Outbound;
import io.kvrelay.ingest.publish.RecordFactory;
import io.kvrelay.ingest.sequence.SequenceTracker;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.DeadLetterKind;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Reads one worker's (pod + DP rank) KV-event stream and hands every batch to Kafka, in sequence order, exactly once.
 *
 * <p>Live messages come from a SUB socket. A gap is filled from the pod's replay socket; what replay cannot recover,
 * and every publisher restart, becomes a {@code WorkerReset} record. Malformed messages become dead letters. Nothing
 * is dropped without a record or a counter saying so.
 *
 * <p>Owns its sockets and runs on its own thread ({@link #run()}); {@link #stop()} may be called from any thread.
 */
public final class WorkerSubscriber implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WorkerSubscriber.class);
    private static final int POLL_MS = 100;
    private static final int MAX_FRAMES = 16;
    private static final int MONITOR_EVERY = 256;
    private static final int MAX_REPLAY_ROUNDS = 32;

    private final PodConfig pod;
    private final int rank;
    private final ZmqConfig cfg;
    private final ZContext ctx;
    private final BoundedHandoff<Outbound> handoff;
    private final BridgeMetrics metrics;
    private final Topics topics;
    private final RecordFactory records;
    private final byte[] key;
    private final SequenceTracker tracker = new SequenceTracker();
    private final KvEventDecoder decoder = new KvEventDecoder();
    private final KvEventBatchEncoder eventEncoder = new KvEventBatchEncoder();
    private final AvroCodec<DeadLetter> deadLetterCodec = AvroCodec.deadLetters();
    private final WorkerStats stats = new WorkerStats();
    private final AtomicReference<KafkaLoss> lostInKafka = new AtomicReference<>();
    private final Outbound.LossListener lossListener = this::lostInKafka;
    private volatile boolean running = true;
    private volatile long removalDeadlineNanos;
    private long lastMessageNanos = System.nanoTime();
    private boolean tailProbed;
    private boolean disconnectedSinceMessage;

    public WorkerSubscriber(PodConfig pod, int rank, ZmqConfig cfg, ZContext ctx, BoundedHandoff<Outbound> handoff,
                            BridgeMetrics metrics, Topics topics) {
        this.pod = pod;
        this.rank = rank;
        this.cfg = cfg;
        this.ctx = ctx;
        this.handoff = handoff;
        this.metrics = metrics;
        this.topics = topics;
        this.records = new RecordFactory(pod, rank);
        this.key = pod.key().toKafkaKey();
    }

    public String name() {
        return pod.key().id() + "#" + rank;
    }

    public WorkerStats stats() {
        return stats;
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        long backoffMs = cfg.reconnectIntervalMs();
        while (running) {
            try {
                session();
                return;
            } catch (BoundedHandoff.HandoffFailedException e) {
                log.error("worker {} stops: {}", name(), e.getMessage());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // Keep the sequence position; only the sockets are rebuilt.
                metrics.workerFailure();
                log.error("worker {} failed; rebuilding its sockets in {} ms", name(), backoffMs, e);
                if (!sleep(backoffMs)) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, cfg.reconnectIntervalMaxMs());
            }
        }
    }

    /** One life of the sockets: open, connect, read until stopped. */
    private void session() throws InterruptedException {
        String monitorAddr = "inproc://monitor-" + System.identityHashCode(this) + "-" + System.nanoTime();
        ZMQ.Socket sub = null;
        ZMQ.Socket monitor = null;
        ReplayClient replay = null;
        try {
            sub = ctx.createSocket(SocketType.SUB);
            monitor = ctx.createSocket(SocketType.PAIR);
            sub.setLinger(0);
            sub.setIPv6(cfg.ipv6());
            sub.setRcvHWM(cfg.receiveHighWaterMark());
            sub.setReceiveTimeOut(POLL_MS);
            // ZeroMQ reconnects by itself, doubling the delay up to the maximum: that is our backoff.
            sub.setReconnectIVL(cfg.reconnectIntervalMs());
            sub.setReconnectIVLMax(cfg.reconnectIntervalMaxMs());
            sub.setHandshakeIvl(cfg.handshakeIntervalMs());
            sub.monitor(monitorAddr, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_DISCONNECTED);
            monitor.connect(monitorAddr);
            sub.subscribe(pod.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (!connectWithRetry(sub, pod.pubEndpoint(rank))) {
                return;
            }
            replay = pod.replayPort() == null ? null : new ReplayClient(ctx, pod.replayEndpoint(rank), cfg);
            log.info("worker {} subscribed to {} (replay: {})", name(), pod.pubEndpoint(rank),
                    replay == null ? "none" : pod.replayEndpoint(rank));
            loop(sub, monitor, replay);
        } finally {
            stats.connected(false);
            if (replay != null) {
                replay.close();
            }
            if (monitor != null) {
                ctx.destroySocket(monitor);
            }
            if (sub != null) {
                ctx.destroySocket(sub);
            }
        }
    }

    /** JeroMQ resolves the host inside connect(): a pod whose name does not resolve yet is retried, not fatal. */
    private boolean connectWithRetry(ZMQ.Socket socket, String endpoint) {
        long backoffMs = cfg.reconnectIntervalMs();
        while (running) {
            try {
                socket.connect(endpoint);
                return true;
            } catch (RuntimeException e) {
                log.warn("worker {}: cannot connect to {} ({}); retrying in {} ms", name(), endpoint, e.getMessage(),
                        backoffMs);
                if (!sleep(backoffMs)) {
                    return false;
                }
                backoffMs = Math.min(backoffMs * 2, cfg.reconnectIntervalMaxMs());
            }
        }
        return false;
    }

    private boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void loop(ZMQ.Socket sub, ZMQ.Socket monitor, ReplayClient replay) throws InterruptedException {
        int sinceMonitor = 0;
        List<byte[]> frames = new ArrayList<>(3);
        while (running) {
            reportKafkaLoss();
            if (!receive(sub, frames)) {
                drainMonitor(monitor);
                probeTail(replay);
                continue;
            }
            lastMessageNanos = System.nanoTime();
            tailProbed = false;
            disconnectedSinceMessage = false;
            if (++sinceMonitor >= MONITOR_EVERY) {
                sinceMonitor = 0;
                drainMonitor(monitor);
            }
            onLiveMessage(frames, replay);
        }
    }

    private boolean receive(ZMQ.Socket sub, List<byte[]> frames) {
        frames.clear();
        byte[] first = sub.recv(0);
        if (first == null) {
            return false;
        }
        frames.add(first);
        int total = 1;
        while (sub.hasReceiveMore()) {
            byte[] f = sub.recv(0);
            // Keep a bounded number of frames of a malformed message; the count still tells what arrived.
            if (++total <= MAX_FRAMES) {
                frames.add(f == null ? new byte[0] : f);
            }
        }
        if (total > MAX_FRAMES) {
            frames.add(("<" + (total - MAX_FRAMES) + " more frames dropped>").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return true;
    }

    private void drainMonitor(ZMQ.Socket monitor) {
        ZMQ.Event e;
        while ((e = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
            boolean up = e.getEvent() == ZMQ.EVENT_CONNECTED;
            if (up != stats.connected()) {
                log.info("worker {} {}", name(), up ? "connected" : "disconnected; ZeroMQ reconnects with backoff");
            }
            stats.connected(up);
            disconnectedSinceMessage |= !up;
        }
    }

    /**
     * A batch dropped in transit is normally noticed when the next one arrives. On an idle pod that may be never, so
     * once per idle period ask the replay socket for anything after the last delivered batch. Skipped when the
     * connection dropped meanwhile: the publisher may have restarted, and its new sequence would look like ours.
     */
    private void probeTail(ReplayClient replay) throws InterruptedException {
        if (replay == null || tailProbed || cfg.tailProbeMs() < 0 || disconnectedSinceMessage
                || tracker.lastDelivered() == SequenceTracker.NONE
                || System.nanoTime() - lastMessageNanos < cfg.tailProbeMs() * 1_000_000L) {
            return;
        }
        tailProbed = true;
        replayFrom(replay, Long.MAX_VALUE - 1, new boolean[1]);
    }

    void onLiveMessage(List<byte[]> frames, ReplayClient replay) throws InterruptedException {
        long now = MicrosClock.now();
        stats.message(now);
        if (frames.size() != 3) {
            deadLetter(DeadLetterKind.WRONG_FRAME_COUNT,
                    "expected 3 frames [topic, seq, payload], got " + frames.size(), null, frames, now);
            return;
        }
        byte[] seqFrame = frames.get(1);
        if (seqFrame.length != 8) {
            deadLetter(DeadLetterKind.BAD_SEQUENCE_FRAME,
                    "sequence frame has " + seqFrame.length + " bytes, expected 8", null, frames, now);
            return;
        }
        long seq = Frames.getLong(seqFrame);
        SequenceTracker.Verdict v = tracker.onLive(seq);
        if (v == SequenceTracker.Verdict.RESTART) {
            long last = tracker.lastDelivered();
            emitReset(WorkerResetReason.PUBLISHER_RESTART, last, 0,
                    "sequence went back from " + last + " to " + seq + ": the publisher restarted");
            tracker.restartedAt(seq);
            v = tracker.onReplayed(seq); // classify without moving the live position again
        }
        switch (v) {
            case DELIVER -> deliver(seq, frames.get(0), frames.get(2), EventOrigin.LIVE, frames, now);
            case DUPLICATE -> metrics.duplicate();
            case GAP -> recoverGap(seq, frames, replay, now);
            default -> throw new IllegalStateException("unexpected verdict " + v);
        }
    }

    private void recoverGap(long liveSeq, List<byte[]> liveFrames, ReplayClient replay, long now)
            throws InterruptedException {
        metrics.gap();
        boolean[] lostDuringReplay = {false};
        ReplayClient.Outcome outcome = replay == null ? null : replayFrom(replay, liveSeq, lostDuringReplay);
        // What replay could not bring, up to the live message, is lost: say so before delivering past it.
        SequenceTracker.Verdict v = tracker.onReplayed(liveSeq);
        if (v == SequenceTracker.Verdict.GAP) {
            long last = tracker.lastDelivered();
            String why = replay == null ? "the pod has no replay socket configured"
                    : outcome == ReplayClient.Outcome.COMPLETE ? "the pod's replay buffer no longer holds them"
                    : "replay " + outcome.name().toLowerCase().replace('_', ' ');
            emitReset(WorkerResetReason.UNRECOVERABLE_GAP, last, liveSeq,
                    "sequences " + (last + 1) + ".." + (liveSeq - 1) + " lost: " + why);
            lostDuringReplay[0] = true;
            v = SequenceTracker.Verdict.DELIVER;
        }
        if (replay != null) {
            metrics.replay(!lostDuringReplay[0]);
        }
        if (v == SequenceTracker.Verdict.DELIVER) {
            deliver(liveSeq, liveFrames.get(0), liveFrames.get(2), EventOrigin.LIVE, liveFrames, now);
        } else {
            metrics.duplicate(); // replay already brought it
        }
    }

    /**
     * Replays from the next expected sequence, delivering everything below {@code liveSeq}. vLLM's replay ROUTER
     * keeps ZeroMQ's default send limit (1000 messages) and silently drops replies beyond it, so a replay can stop
     * short or jump: a jump on the first reply means the pod's buffer no longer reaches back (a real loss), a jump or
     * a timeout after progress means the reply stream was cut, and the rest is asked for again.
     */
    private ReplayClient.Outcome replayFrom(ReplayClient replay, long liveSeq, boolean[] lost) {
        ReplayClient.Outcome outcome = null;
        for (int round = 0; round < MAX_REPLAY_ROUNDS && running; round++) {
            long before = tracker.lastDelivered();
            boolean[] cut = {false};
            outcome = replay.replayFrom(tracker.nextExpected(), replayHandler(liveSeq, lost, cut));
            boolean progressed = tracker.lastDelivered() != before;
            boolean incomplete = cut[0] || outcome == ReplayClient.Outcome.TIMEOUT;
            boolean caughtUp = Long.compareUnsigned(tracker.nextExpected(), liveSeq) >= 0;
            if (!incomplete || !progressed || caughtUp) {
                break;
            }
            log.debug("worker {}: replay cut short at {}, asking again", name(), tracker.lastDelivered());
        }
        return outcome;
    }

    private ReplayClient.Handler replayHandler(long liveSeq, boolean[] lost, boolean[] cut) {
        return new ReplayClient.Handler() {
            private boolean first = true;

            @Override
            public boolean onBatch(String topic, long seq, byte[] payload, List<byte[]> frames) {
                if (Long.compareUnsigned(seq, liveSeq) >= 0) {
                    // Already in (or on its way to) the SUB queue: the live stream delivers it, in order.
                    return running;
                }
                boolean wasFirst = first;
                first = false;
                if (!wasFirst && tracker.onReplayed(seq) == SequenceTracker.Verdict.GAP) {
                    cut[0] = true; // replies were dropped on the way: ask again from where we are
                    return false;
                }
                try {
                    return onReplayed(topic, seq, payload, frames, lost) && running;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }

            @Override
            public void onProtocolError(List<byte[]> frames, String problem) {
                try {
                    deadLetter(DeadLetterKind.REPLAY_PROTOCOL_ERROR, problem, null, frames, MicrosClock.now());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private boolean onReplayed(String topic, long seq, byte[] payload, List<byte[]> frames, boolean[] lost)
            throws InterruptedException {
        long now = MicrosClock.now();
        switch (tracker.onReplayed(seq)) {
            case DUPLICATE -> metrics.duplicate();
            case GAP -> {
                // The pod's buffer no longer reaches back far enough.
                long last = tracker.lastDelivered();
                emitReset(WorkerResetReason.UNRECOVERABLE_GAP, last, seq,
                        "sequences " + (last + 1) + ".." + (seq - 1) + " lost: the replay buffer starts at " + seq);
                lost[0] = true;
                deliverReplayed(topic, seq, payload, frames, now);
            }
            case DELIVER -> deliverReplayed(topic, seq, payload, frames, now);
            default -> throw new IllegalStateException("replayed sequences never restart");
        }
        return true;
    }

    private void deliverReplayed(String topic, long seq, byte[] payload, List<byte[]> frames, long now)
            throws InterruptedException {
        byte[] topicBytes = topic == null ? pod.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8)
                : topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        deliver(seq, topicBytes, payload, EventOrigin.REPLAY, frames, now);
    }

    private void deliver(long seq, byte[] topic, byte[] payload, EventOrigin origin, List<byte[]> frames, long now)
            throws InterruptedException {
        DecodedBatch decoded;
        try {
            decoded = decoder.decode(payload);
        } catch (DecodeException e) {
            deadLetter(DeadLetterKind.DECODE_ERROR, e.getMessage(), seq, frames, now);
            markDelivered(seq); // accounted for, in the dead-letter topic
            return;
        }
        if (decoded.dataParallelRank() != DecodedBatch.NO_RANK && decoded.dataParallelRank() != rank) {
            metrics.rankMismatch(); // the port decides the rank, as in vLLM; the envelope is informational
        }
        KvEventBatch record = records.batch(seq, Frames.utf8(topic), origin, decoded, now);
        hand(topics.kvEvents().name(), eventEncoder.encode(record), seq);
        markDelivered(seq);
        countBatch(origin, decoded);
    }

    private void countBatch(EventOrigin origin, DecodedBatch decoded) {
        long stored = 0;
        long removed = 0;
        int clears = 0;
        for (Object e : decoded.events()) {
            if (e instanceof BlockStored s) {
                stored += s.getBlockHashes().size();
            } else if (e instanceof BlockRemoved r) {
                removed += r.getBlockHashes().size();
            } else {
                clears++;
            }
        }
        metrics.batch(origin, decoded.events().size(), stored, removed, clears, decoded.skippedUnknown());
    }

    private void markDelivered(long seq) {
        tracker.delivered(seq);
        stats.delivered(seq);
    }

    /** Emits a reset for this worker; the caller updates the tracker. */
    void emitReset(WorkerResetReason reason, long last, long resume, String detail) throws InterruptedException {
        log.warn("worker {}: WorkerReset {} ({})", name(), reason, detail);
        hand(topics.kvEvents().name(), eventEncoder.encode(records.reset(reason, last, resume, detail, MicrosClock.now())), resume);
        metrics.reset(reason);
        stats.reset();
    }

    private void deadLetter(DeadLetterKind kind, String message, Long seq, List<byte[]> frames, long now)
            throws InterruptedException {
        log.warn("worker {}: dead letter {} (seq {}): {}", name(), kind, seq, message);
        DeadLetter dl = records.deadLetter(kind, message, seq, List.copyOf(frames), now);
        hand(topics.deadLetters().name(), deadLetterCodec.encode(dl), seq == null ? -1 : seq);
        metrics.deadLetter(kind);
    }

    private void hand(String topic, byte[] value, long seq) throws InterruptedException {
        Outbound o = new Outbound(topic, key, value, lossListener, seq, System.nanoTime());
        if (!handoff.put(o, () -> running || System.nanoTime() < removalDeadlineNanos)) {
            metrics.shutdownDrop(); // stopping while Kafka is too slow to take it
            log.warn("worker {}: stopped before seq {} could be handed to Kafka", name(), seq);
        }
    }

    /** Called on the producer's thread: remember it, the subscriber thread reports it. */
    private void lostInKafka(long seq, Exception cause) {
        lostInKafka.accumulateAndGet(new KafkaLoss(seq, String.valueOf(cause.getMessage())),
                (first, next) -> first == null ? next : first);
    }

    /** The first record Kafka refused since the last report; later ones are covered by the same reset. */
    private record KafkaLoss(long seq, String why) {
    }

    private void reportKafkaLoss() throws InterruptedException {
        KafkaLoss lost = lostInKafka.getAndSet(null);
        if (lost != null) {
            // From the first lost record on, this worker's state is unknown: purge, then apply what follows.
            emitReset(WorkerResetReason.UNRECOVERABLE_GAP, lost.seq() - 1, -1,
                    "Kafka refused the record of seq " + lost.seq() + ": " + lost.why());
        }
    }

    /**
     * Removal: the pod left the configuration; consumers purge this worker. Call only after the thread ended (the
     * tracker and encoder are the thread's). Waits at most 10 s for room in the hand-off.
     */
    public void emitRemoved() throws InterruptedException {
        removalDeadlineNanos = System.nanoTime() + 10_000_000_000L;
        emitReset(WorkerResetReason.POD_REMOVED, tracker.lastDelivered(), -1, "pod removed from the bridge");
    }
}
