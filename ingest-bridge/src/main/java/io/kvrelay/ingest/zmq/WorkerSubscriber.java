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
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.DeadLetterKind;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
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
 * <p><b>Never a new incarnation as the continuation of an old one.</b> vLLM puts no epoch on the wire: a restarted
 * publisher counts from 0 again, and if the bridge reconnects only after the new one has passed the old last
 * sequence, the sequence alone looks like a gap. So every replay asks from the last <em>delivered</em> sequence
 * itself, and the first reply must carry the same bytes (length and CRC-32C of the payload) as what was delivered: then the
 * publisher is the same and the rest of the reply fills the gap. Different bytes, an empty buffer, a publisher id
 * that changed (24-byte sequence frames) or a sequence that went back mean a restart: a
 * {@code WorkerReset(PUBLISHER_RESTART)}, then the worker starts again from what the new buffer holds from seq 0.
 * After the SUB was disconnected, continuity that cannot be proven (the buffer no longer holds the last delivered
 * batch) counts as a restart too. The replay is probed once after every (re)connection, so an idle pod's history and
 * an idle pod's restart are seen without waiting for its next batch.
 *
 * <p>Owns its sockets and runs on its own thread ({@link #run()}); {@link #stop()} may be called from any thread.
 */
public final class WorkerSubscriber implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WorkerSubscriber.class);
    private static final int POLL_MS = 100;
    private static final int MAX_FRAMES = 16;
    private static final long MONITOR_EVERY_NANOS = 1_000_000;
    /** Requests of one recovery that brought nothing new, in a row, before it gives up. */
    private static final int MAX_BARREN_REQUESTS = 3;
    /** Requests of one recovery that got no reply at all before it gives up. */
    private static final int MAX_UNANSWERED = 2;
    /** "Up to the end of the buffer" for probes, which have no live sequence to stop at. */
    private static final long NO_TARGET = -1L; // the largest unsigned value

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
    private final PayloadDigest digests = new PayloadDigest();
    private final AtomicReference<KafkaLoss> lostInKafka = new AtomicReference<>();
    private final Outbound.LossListener lossListener = this::lostInKafka;
    private volatile boolean running = true;
    private volatile long removalDeadlineNanos;
    private long lastMessageNanos = System.nanoTime();
    private boolean tailProbed;

    // What was last delivered, to prove a later replay continues it. Owned by the subscriber thread.
    private long lastDigest;
    private boolean lastDigestKnown;
    private long lastPublishedMicros = Long.MIN_VALUE;
    private byte[] publisherId;
    private byte[] lastTopic;
    /** The SUB was disconnected (or the bridge restarted) since continuity was last proven. */
    private boolean suspect;
    /** Probe the replay once the SUB is connected: after the first connection and after every reconnection. */
    private boolean probePending = true;
    private ZMQ.Socket monitor;
    private long monitorReadNanos;

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
        this.lastTopic = pod.topic().getBytes(StandardCharsets.UTF_8);
    }

    public String name() {
        return pod.key().id() + "#" + rank;
    }

    public int rank() {
        return rank;
    }

    public WorkerStats stats() {
        return stats;
    }

    public void stop() {
        running = false;
    }

    /**
     * Starts from a position recovered from Kafka (the bridge restarted): the last batch of this worker that Kafka
     * holds. Unproven until the replay shows the same bytes at that sequence. Call before {@link #run()}.
     *
     * @param digest            {@link PayloadDigest} of that batch's payload, or null when the record predates digests
     * @param publishedAtMicros its publisher timestamp, or null
     * @param topic             its topic frame, or null for the configured one
     * @param id                the publisher's incarnation id, or null
     */
    public void resumeFrom(long lastSequence, Long digest, Long publishedAtMicros, String topic, byte[] id) {
        tracker.delivered(lastSequence);
        stats.resumed(lastSequence);
        lastDigestKnown = digest != null;
        lastDigest = digest == null ? 0 : digest;
        lastPublishedMicros = publishedAtMicros == null ? Long.MIN_VALUE : publishedAtMicros;
        if (topic != null) {
            lastTopic = topic.getBytes(StandardCharsets.UTF_8);
        }
        publisherId = id;
        suspect = true;
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
                // Keep the sequence position; only the sockets are rebuilt. What happened meanwhile is unproven.
                metrics.workerFailure();
                suspect = true;
                probePending = true;
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
            sub.subscribe(pod.topic().getBytes(StandardCharsets.UTF_8));
            if (!connectWithRetry(sub, pod.pubEndpoint(rank))) {
                return;
            }
            replay = pod.replayPort() == null ? null : new ReplayClient(ctx, pod.replayEndpoint(rank), cfg);
            log.info("worker {} subscribed to {} (replay: {})", name(), pod.pubEndpoint(rank),
                    replay == null ? "none" : pod.replayEndpoint(rank));
            loop(sub, replay);
        } finally {
            stats.connected(false);
            if (replay != null) {
                replay.close();
            }
            if (monitor != null) {
                ctx.destroySocket(monitor);
                monitor = null;
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

    private void loop(ZMQ.Socket sub, ReplayClient replay) throws InterruptedException {
        List<byte[]> frames = new ArrayList<>(3);
        while (running) {
            reportKafkaLoss();
            if (!receive(sub, frames)) {
                drainMonitor();
                idle(replay);
                continue;
            }
            lastMessageNanos = System.nanoTime();
            tailProbed = false;
            onLiveMessage(frames, replay);
        }
    }

    /** Nothing arrived for a poll interval: settle an abandoned replay, and probe the replay when due. */
    private void idle(ReplayClient replay) throws InterruptedException {
        if (replay == null) {
            return;
        }
        replay.drainStale();
        if (!stats.connected()) {
            return; // the replay socket is on the same pod: probing before the SUB connects would only time out
        }
        boolean idleLongEnough = cfg.tailProbeMs() >= 0 && !tailProbed
                && System.nanoTime() - lastMessageNanos >= cfg.tailProbeMs() * 1_000_000L;
        if (probePending || idleLongEnough) {
            // A batch dropped in transit is otherwise noticed only when the next one arrives, which on an idle pod
            // may be never; so is a restart of an idle pod, and the history of a pod we just connected to.
            probePending = false;
            tailProbed = true;
            recover(replay, NO_TARGET);
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
            frames.add(("<" + (total - MAX_FRAMES) + " more frames dropped>").getBytes(StandardCharsets.UTF_8));
        }
        return true;
    }

    /**
     * The socket monitor says when the SUB lost its connection: whatever comes after may be a new incarnation. Read
     * when the SUB is idle, before every recovery, and at most every millisecond while messages flow: an empty read
     * costs JeroMQ a thread-local errno write, 6% of a worker's CPU when done per message. A restarted vLLM is silent
     * for far longer than that (process start, model load), so its disconnection is read on an idle poll before its
     * first message arrives.
     */
    private void drainMonitor() {
        monitorReadNanos = System.nanoTime();
        ZMQ.Event e;
        while ((e = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
            boolean up = e.getEvent() == ZMQ.EVENT_CONNECTED;
            if (up != stats.connected()) {
                log.info("worker {} {}", name(), up ? "connected" : "disconnected; ZeroMQ reconnects with backoff");
            }
            stats.connected(up);
            if (!up) {
                suspect = true;
            }
            probePending |= up && suspect;
        }
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
        if (!Frames.isSequenceFrame(seqFrame)) {
            deadLetter(DeadLetterKind.BAD_SEQUENCE_FRAME,
                    "sequence frame has " + seqFrame.length + " bytes, expected 8 (or 24 with a publisher id)", null,
                    frames, now);
            return;
        }
        if (System.nanoTime() - monitorReadNanos >= MONITOR_EVERY_NANOS) {
            drainMonitor();
        }
        long seq = Frames.getLong(seqFrame);
        byte[] id = seqFrame.length == Frames.SEQ_WITH_ID ? Arrays.copyOfRange(seqFrame, 8, Frames.SEQ_WITH_ID) : null;
        lastTopic = frames.get(0);
        Batch live = new Batch(seq, frames.get(0), id, frames.get(2), frames, EventOrigin.LIVE, now);

        if (id != null && publisherId != null && !Arrays.equals(id, publisherId)) {
            restarted("the publisher id changed from " + hex(publisherId) + " to " + hex(id));
            tracker.restartedAt(seq);
        } else {
            SequenceTracker.Verdict v = tracker.onLive(seq);
            if (v == SequenceTracker.Verdict.RESTART) {
                restarted("the sequence went back from " + tracker.lastDelivered() + " to " + seq);
                tracker.restartedAt(seq);
            } else if (v == SequenceTracker.Verdict.DUPLICATE) {
                metrics.duplicate();
                return;
            } else if (v == SequenceTracker.Verdict.GAP) {
                metrics.gap();
            } else if (!suspect) {
                deliver(live);
                return;
            }
        }
        // A gap, a restart, or the next sequence after a disconnection: replay up to this one (proving continuity
        // on the way), then deliver it unless the replay already did or showed it belongs to another incarnation.
        if (replay == null) {
            withoutReplay(live);
            return;
        }
        recover(replay, seq);
        if (tracker.onReplayed(seq) == SequenceTracker.Verdict.DELIVER) {
            deliver(live);
        } else if (tracker.onReplayed(seq) == SequenceTracker.Verdict.DUPLICATE) {
            metrics.duplicate();
        } else {
            // Recovery gave up before this sequence: what it could not bring was reported as lost.
            tracker.delivered(seq - 1);
            deliver(live);
        }
    }

    /** No replay socket: a gap is a loss, and continuity after a reconnection rests on the timestamps alone. */
    private void withoutReplay(Batch live) throws InterruptedException {
        long last = tracker.lastDelivered();
        if (restartPending == null && suspect && last != SequenceTracker.NONE) {
            DecodedBatch d = decodeQuietly(live.payload);
            if (d != null && publishedMicros(d) < lastPublishedMicros) {
                restarted("its timestamp went back after a reconnection (no replay socket to prove continuity)");
            }
        }
        suspect = false;
        if (restartPending == null && tracker.onReplayed(live.seq) == SequenceTracker.Verdict.GAP) {
            emitReset(WorkerResetReason.UNRECOVERABLE_GAP, last, live.seq, "sequences " + (last + 1) + ".."
                    + (live.seq - 1) + " lost: the pod has no replay socket configured");
            metrics.replay(false);
        }
        if (restartPending != null) {
            tracker.restartedAt(live.seq);
        }
        tracker.delivered(live.seq - 1);
        deliver(live);
    }

    // ---- recovery through the replay socket

    /** Set when a restart was detected; emitted with the first sequence delivered after it. */
    private String restartPending;
    private long lastBeforeRestart = SequenceTracker.NONE;

    private void restarted(String why) {
        if (restartPending == null) {
            lastBeforeRestart = tracker.lastDelivered();
            restartPending = why;
        }
        tracker.reset();
        lastDigestKnown = false;
        lastPublishedMicros = Long.MIN_VALUE;
        publisherId = null;
        suspect = false;
    }

    /**
     * Replays until {@code target} (exclusive; {@link #NO_TARGET} for a probe: as far as the buffer goes), proving on
     * the way that the publisher is the one delivered from before. One request in flight at a time; a request whose
     * reply stream was cut (vLLM's send limit) is followed, once the old stream went quiet, by one from what arrived.
     */
    private void recover(ReplayClient replay, long target) throws InterruptedException {
        drainMonitor();
        Recovery r = new Recovery(target);
        int barren = 0;
        while (running && !r.done) {
            long start = r.nextStart();
            if (r.reached(start)) {
                break;
            }
            long before = tracker.lastDelivered();
            ReplayClient.Outcome outcome = replay.request(start, r);
            stats.replayRequested();
            r.requests++;
            metrics.replayRepliesDiscarded(replay.discarded() - r.discardedSeen);
            r.discardedSeen = replay.discarded();
            if (outcome == ReplayClient.Outcome.NO_ANSWER && ++r.unanswered < MAX_UNANSWERED) {
                // Asked again on a fresh connection: a pod that just published is alive, and a JeroMQ handshake
                // now and then stalls a new connection for seconds.
                log.info("worker {}: replay socket did not answer within {} ms; asking again", name(),
                        cfg.replayTimeoutMs());
                continue;
            }
            if (outcome == ReplayClient.Outcome.NO_ANSWER || outcome == ReplayClient.Outcome.UNAVAILABLE
                    || outcome == ReplayClient.Outcome.PROTOCOL_ERROR) {
                r.failure = "the replay socket " + describe(outcome);
                break;
            }
            if (r.restartSeen) {
                // The replayed bytes differ: everything in this stream is another incarnation's. Start over from 0.
                r.restartSeen = false;
                continue;
            }
            if (outcome == ReplayClient.Outcome.END && r.requestReplies == 0) {
                r.emptyBuffer();
                if (r.done) {
                    break;
                }
                continue;
            }
            if (outcome == ReplayClient.Outcome.END && target == NO_TARGET && !r.cut) {
                break; // a probe that saw the whole buffer
            }
            boolean progressed = tracker.lastDelivered() != before || r.proofSettled;
            r.proofSettled = false;
            barren = progressed ? 0 : barren + 1;
            if (barren >= MAX_BARREN_REQUESTS) {
                r.failure = "replay brought nothing new in " + barren + " requests";
                break;
            }
            if (outcome == ReplayClient.Outcome.QUIET && target == NO_TARGET && !r.cut && !progressed) {
                break;
            }
            log.debug("worker {}: replay {} at {}, asking again", name(), describe(outcome), tracker.lastDelivered());
        }
        r.finish();
    }

    private static String describe(ReplayClient.Outcome outcome) {
        return switch (outcome) {
            case NO_ANSWER -> "did not answer";
            case UNAVAILABLE -> "is not connected";
            case PROTOCOL_ERROR -> "sent a reply vLLM never sends";
            case QUIET -> "went quiet without its end marker";
            case END -> "ended";
            case STOPPED -> "was stopped";
        };
    }

    /** One recovery: its state across requests, and the reply handler of each request. */
    private final class Recovery implements ReplayClient.Handler {
        private final long target;
        /** The last delivered batch must show up again with the same bytes before anything is delivered after it. */
        private boolean proving;
        private boolean restartSeen;
        private boolean proofSettled;
        private boolean cut;
        private boolean done;
        private boolean first;
        private boolean anyLoss;
        private int requestReplies;
        private int requests;
        private int unanswered;
        private long discardedSeen;
        private String failure;

        Recovery(long target) {
            this.target = target;
            this.proving = tracker.lastDelivered() != SequenceTracker.NONE && restartPending == null;
        }

        long nextStart() {
            first = true;
            cut = false;
            requestReplies = 0;
            return proving ? tracker.lastDelivered() : tracker.nextExpected();
        }

        boolean reached(long start) {
            return !proving && target != NO_TARGET && Long.compareUnsigned(start, target) >= 0;
        }

        @Override
        public boolean onReply(ReplayClient.Reply reply) {
            requestReplies++;
            try {
                return handle(reply) && running;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        private boolean handle(ReplayClient.Reply reply) throws InterruptedException {
            long seq = reply.seq();
            boolean wasFirst = first;
            first = false;
            if (proving) {
                return prove(reply);
            }
            SequenceTracker.Verdict v = tracker.onReplayed(seq);
            if (v == SequenceTracker.Verdict.GAP) {
                if (!wasFirst) {
                    // Replies were dropped on the way (even if this one is at or past the live sequence): ask again
                    // from where we are, once the old stream is quiet.
                    cut = true;
                    return false;
                }
                // The first reply is past what was asked for: the buffer no longer reaches back that far.
                bufferStartsAt(beforeTarget(seq), "the replay buffer starts at " + seq);
            } else if (v == SequenceTracker.Verdict.DUPLICATE) {
                metrics.duplicate();
                return true;
            }
            if (reachedTarget(seq)) {
                return false;
            }
            deliver(replayed(reply));
            return true;
        }

        @Override
        public void onProtocolError(List<byte[]> frames, String problem) {
            try {
                deadLetter(DeadLetterKind.REPLAY_PROTOCOL_ERROR, problem, null, frames, MicrosClock.now());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The first reply of a proving request: the last delivered batch again, or what the buffer starts with. */
        private boolean prove(ReplayClient.Reply reply) throws InterruptedException {
            long last = tracker.lastDelivered();
            long seq = reply.seq();
            if (Long.compareUnsigned(seq, last) < 0) {
                first = true; // vLLM never sends below the start; skip it and keep looking for the proof
                return true;
            }
            proving = false;
            if (seq == last) {
                if (sameAsDelivered(reply)) {
                    metrics.continuity(true);
                    suspect = false;
                    proofSettled = true;
                    return true; // the rest of this stream continues what was delivered
                }
                metrics.continuity(false);
                restarted("replayed seq " + seq + " has other bytes than the batch delivered with that sequence");
                restartSeen = true;
                return false;
            }
            // The buffer no longer holds the last delivered batch: continuity cannot be proven.
            DecodedBatch d = decodeQuietly(reply.payload());
            boolean clockWentBack = d != null && publishedMicros(d) < lastPublishedMicros;
            if (suspect || clockWentBack) {
                metrics.continuity(false);
                restarted(clockWentBack ? "the replay buffer starts at " + seq + " with an older timestamp than seq "
                        + last : "continuity unproven after a reconnection: the replay buffer starts at " + seq
                        + ", after the last delivered seq " + last);
            } else if (seq != last + 1) {
                bufferStartsAt(beforeTarget(seq), "the replay buffer starts at " + seq);
            }
            if (restartPending == null) {
                tracker.delivered(beforeTarget(seq) - 1);
            }
            first = false;
            if (reachedTarget(seq)) {
                return false;
            }
            deliver(replayed(reply));
            return true;
        }

        /** At the live sequence: the live stream delivers it and what follows (vLLM sends on past it). */
        private boolean reachedTarget(long seq) {
            if (target != NO_TARGET && Long.compareUnsigned(seq, target) >= 0) {
                done = true;
                return true;
            }
            return false;
        }

        /** A buffer that starts past the live sequence lost only what lies before the live one. */
        private long beforeTarget(long seq) {
            return target != NO_TARGET && Long.compareUnsigned(seq, target) > 0 ? target : seq;
        }

        private boolean sameAsDelivered(ReplayClient.Reply reply) {
            if (lastDigestKnown) {
                return digests.of(reply.payload()) == lastDigest;
            }
            // A position recovered from a record without a digest: the publisher's timestamp is the next best thing.
            DecodedBatch d = decodeQuietly(reply.payload());
            return d != null && lastPublishedMicros != Long.MIN_VALUE && publishedMicros(d) == lastPublishedMicros;
        }

        /** Sequences from the next expected up to {@code seq} are gone from the buffer: a real loss, reported. */
        private void bufferStartsAt(long seq, String why) throws InterruptedException {
            if (restartPending != null) {
                return; // the restart's reset covers the new incarnation's first sequences
            }
            long last = tracker.lastDelivered();
            emitReset(WorkerResetReason.UNRECOVERABLE_GAP, last, seq,
                    "sequences " + (last + 1) + ".." + (seq - 1) + " lost: " + why);
            anyLoss = true;
            tracker.delivered(seq - 1);
        }

        /** The request ended with the end marker and nothing else. */
        void emptyBuffer() throws InterruptedException {
            if (proving) {
                // vLLM's buffer only empties when the process restarts: the last delivered batch is not there.
                proving = false;
                metrics.continuity(false);
                restarted("the replay buffer is empty: the publisher restarted");
                return;
            }
            done = true;
        }

        void finish() throws InterruptedException {
            if (target != NO_TARGET) {
                long last = tracker.lastDelivered();
                boolean behind = restartPending == null && Long.compareUnsigned(tracker.nextExpected(), target) < 0;
                if (behind) {
                    emitReset(WorkerResetReason.UNRECOVERABLE_GAP, last, target, "sequences " + (last + 1) + ".."
                            + (target - 1) + " lost: " + (failure != null ? failure : "replay ended before them"));
                    anyLoss = true;
                    tracker.delivered(target - 1);
                }
                metrics.replay(!anyLoss);
            } else if (failure != null) {
                // A probe that could not run proves nothing: try again after the next idle period.
                log.info("worker {}: replay probe: {}; probing again in {} ms", name(), failure, cfg.tailProbeMs());
                tailProbed = false;
                lastMessageNanos = System.nanoTime();
                probePending |= suspect;
            }
            if (restartPending != null && target == NO_TARGET && failure == null) {
                emitPendingRestart(-1); // a restarted publisher that has not published yet
            }
            metrics.replayEpisode(requests);
        }
    }

    // ---- delivery

    /** One message, live or replayed. */
    private record Batch(long seq, byte[] topic, byte[] publisherId, byte[] payload, List<byte[]> frames,
                         EventOrigin origin, long receivedAtMicros) {
    }

    /** Replies without a topic frame (vLLM before #45177) take the worker's last live topic. */
    private Batch replayed(ReplayClient.Reply reply) {
        byte[] topic = reply.topic() == null ? lastTopic : reply.topic().getBytes(StandardCharsets.UTF_8);
        return new Batch(reply.seq(), topic, reply.publisherId(), reply.payload(), reply.frames(), EventOrigin.REPLAY,
                MicrosClock.now());
    }

    private void deliver(Batch b) throws InterruptedException {
        if (restartPending != null) {
            emitPendingRestart(b.seq);
        }
        long digest = digests.of(b.payload);
        DecodedBatch decoded;
        try {
            decoded = decoder.decode(b.payload);
        } catch (DecodeException e) {
            deadLetter(DeadLetterKind.DECODE_ERROR, e.getMessage(), b.seq, b.frames, b.receivedAtMicros);
            passed(b, digest, Long.MIN_VALUE); // accounted for, in the dead-letter topic
            stats.deadLettered(b.seq);
            return;
        }
        if (decoded.dataParallelRank() != DecodedBatch.NO_RANK && decoded.dataParallelRank() != rank) {
            metrics.rankMismatch(); // the port decides the rank, as in vLLM; the envelope is informational
        }
        passed(b, digest, publishedMicros(decoded));
        metrics.skippedFields(decoded.skippedFields());
        if (b.publisherId != null && decoded.events().isEmpty() && decoded.skippedUnknown() == 0) {
            metrics.heartbeat(); // the snapshot variant's idle heartbeat: nothing to index
            return;
        }
        if (looksLikeSnapshot(decoded)) {
            metrics.snapshot();
        }
        KvEventBatch record = records.batch(b.seq, Frames.utf8(b.topic), b.origin, decoded, b.receivedAtMicros, digest,
                b.publisherId);
        hand(topics.kvEvents().name(), eventEncoder.encode(record), b.seq);
        stats.delivered(b.seq);
        countBatch(b.origin, decoded);
    }

    /** The sequence is accounted for: remember what proves it later. */
    private void passed(Batch b, long digest, long publishedMicros) {
        tracker.delivered(b.seq);
        lastDigest = digest;
        lastDigestKnown = true;
        if (publishedMicros != Long.MIN_VALUE) {
            lastPublishedMicros = publishedMicros;
        }
        if (b.publisherId != null) {
            publisherId = b.publisherId;
        }
    }

    private void emitPendingRestart(long resume) throws InterruptedException {
        String why = restartPending;
        restartPending = null;
        emitReset(WorkerResetReason.PUBLISHER_RESTART, lastBeforeRestart, resume, why
                + (resume > 0 ? "; sequences 0.." + (resume - 1) + " of the new incarnation are no longer buffered" : ""));
    }

    /**
     * vLLM's snapshot variant: AllBlocksCleared then stores without token ids carrying every held hash. Such stores
     * cannot be keyed (no tokens) and are counted by stream-app like any store without tokens.
     */
    private static boolean looksLikeSnapshot(DecodedBatch d) {
        List<Object> events = d.events();
        if (events.size() < 2 || !(events.get(0) instanceof AllBlocksCleared)) {
            return false;
        }
        for (int i = 1; i < events.size(); i++) {
            if (!(events.get(i) instanceof BlockStored s) || !s.getTokenIds().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private DecodedBatch decodeQuietly(byte[] payload) {
        try {
            return decoder.decode(payload);
        } catch (DecodeException e) {
            return null;
        }
    }

    private static long publishedMicros(DecodedBatch d) {
        return (long) (d.timestampSeconds() * 1_000_000d);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
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
