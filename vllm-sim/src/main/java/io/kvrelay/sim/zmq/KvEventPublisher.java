package io.kvrelay.sim.zmq;

import io.kvrelay.sim.wire.BatchSummary;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.SimEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * One vLLM worker's KV-event publisher: a bound PUB sending {@code [topic, seq, payload]} with seq counting from 0
 * per instance (and per {@link #restart()}), plus the optional replay ROUTER on its own thread and, when the
 * {@link Fidelity} asks for it, a heartbeat thread. One instance is one incarnation of the process: its publisher id
 * is random and new, and so is the one {@link #restart()} draws.
 *
 * <p>Publishing methods are synchronized: the PUB socket must only be used by one thread at a time, and the
 * uncontended monitor also gives the memory barrier JeroMQ needs when a socket moves between threads. In
 * {@link ReplayServing#PUBLISHING_THREAD} mode a replay's send loop holds the same monitor, so publishing waits for
 * it. Counters and identity are readable without the monitor, even while a replay holds it.
 */
public final class KvEventPublisher implements AutoCloseable {
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final PublisherConfig config;
    private final ZContext ctx;
    private final boolean ownsContext;
    private final ZMQ.Socket pub;
    private final SubscriberMonitor monitor;
    private final byte[] topic;
    private final PayloadEncoder encoder;
    private final SeqFrame seqFrame;
    private final ReplayBuffer replayBuffer;
    private final ReplayServer replay;
    private final Heartbeat heartbeat;
    private final PublishLog log;
    private final int pubPort;
    private volatile long nextSeq;
    private volatile int epoch;
    private volatile UUID publisherId = UUID.randomUUID();
    private volatile long published;
    private volatile long withheld;
    private volatile long heartbeats;
    private volatile long lastSendNanos = System.nanoTime();
    private volatile boolean closed;
    private int withhold;

    /** A publisher with its own ZeroMQ context (one I/O thread) and a log sized by the config. */
    public KvEventPublisher(PublisherConfig config) {
        this(new ZContext(1), true, config, 0, null);
    }

    /**
     * A publisher on a shared context. {@code initialEpoch} and {@code log} (null = sized by the config) carry the
     * restart count and the history across a re-created publisher, as when a restarted pod binds its ports again.
     */
    public KvEventPublisher(ZContext ctx, PublisherConfig config, int initialEpoch, PublishLog log) {
        this(ctx, false, config, initialEpoch, log);
    }

    private KvEventPublisher(ZContext ctx, boolean ownsContext, PublisherConfig config, int initialEpoch,
                             PublishLog log) {
        this.config = Objects.requireNonNull(config, "config");
        this.ctx = ctx;
        this.ownsContext = ownsContext;
        this.epoch = initialEpoch;
        this.topic = config.topic().getBytes(StandardCharsets.UTF_8);
        this.encoder = new PayloadEncoder(config.layout(), config.hashEncoding());
        this.seqFrame = config.fidelity().seqFrame();
        this.log = log != null ? log : config.logLimit() > 0 ? new PublishLog(config.logLimit()) : null;
        int id = INSTANCES.incrementAndGet();
        this.pub = ctx.createSocket(SocketType.PUB);
        pub.setLinger(0);
        pub.setSndHWM(config.sndHwm());
        SubscriberMonitor mon = null;
        try {
            mon = new SubscriberMonitor(ctx, pub, "inproc://kvsim-pub-monitor-" + id);
            this.pubPort = Endpoints.bind(pub, config.host(), config.pubPort());
            if (config.replayPort() != null) {
                this.replayBuffer = new ReplayBuffer(config.replayBufferSteps(), publisherId);
                // The replay thread only takes this monitor once a request arrives, never touching our fields.
                this.replay = new ReplayServer(ctx, config.host(), config.replayPort(), replayBuffer, topic,
                        config.replyShape(), config.fidelity(), this, "kvsim-replay-" + pubPort);
            } else {
                this.replayBuffer = null;
                this.replay = null;
            }
        } catch (RuntimeException e) {
            if (mon != null) {
                mon.close();
            }
            pub.close();
            if (ownsContext) {
                ctx.close();
            }
            throw e;
        }
        this.monitor = mon;
        Duration beat = config.fidelity().heartbeatInterval();
        this.heartbeat = beat.isZero() ? null : new Heartbeat(this, beat, "kvsim-heartbeat-" + pubPort);
        if (heartbeat != null) {
            heartbeat.start(); // last: every field is set
        }
    }

    /** Encodes {@code events} with {@code ts = now} and this worker's rank, and publishes them as the next seq. */
    public synchronized PublishedBatch publish(List<? extends SimEvent> events) {
        Instant now = Instant.now();
        double ts = now.getEpochSecond() + now.getNano() / 1e9;
        byte[] payload = encoder.encode(ts, config.dpRank(), events);
        boolean sent = !withholdNext();
        long seq = send(payload, sent);
        PublishedBatch batch = new PublishedBatch(config.dpRank(), epoch, seq, ts, payload, List.copyOf(events),
                BatchSummary.of(events), sent, publisherId);
        if (log != null) {
            log.add(batch);
        }
        return batch;
    }

    /**
     * Publishes a pre-encoded payload (benchmarks) and returns the seq used. The array is kept by the replay buffer
     * and ZeroMQ's queue, so it must not be modified afterwards; reusing one array for many sends is fine.
     */
    public synchronized long publishRaw(byte[] payload) {
        boolean sent = !withholdNext();
        long seq = send(payload, sent);
        if (log != null) {
            log.add(new PublishedBatch(config.dpRank(), epoch, seq, Double.NaN, payload, null, null, sent,
                    publisherId));
        }
        return seq;
    }

    private boolean withholdNext() {
        if (withhold > 0) {
            withhold--;
            return true;
        }
        return false;
    }

    private long send(byte[] payload, boolean toPub) {
        if (closed) {
            throw new IllegalStateException("publisher on port " + pubPort + " is closed");
        }
        long seq = nextSeq++;
        if (toPub) {
            pub.send(topic, ZMQ.SNDMORE);
            pub.send(seqFrame.encode(seq, publisherId), ZMQ.SNDMORE);
            pub.send(payload, 0);
        } else {
            withheld++;
        }
        published++;
        if (replayBuffer != null) {
            replayBuffer.append(seq, payload);
        }
        if (heartbeat != null) {
            lastSendNanos = System.nanoTime();
        }
        return seq;
    }

    /** Publishes an empty batch if nothing was published for {@code intervalNanos}; the heartbeat thread's call. */
    synchronized void heartbeatIfIdle(long intervalNanos) {
        if (!closed && nanosSinceLastSend() >= intervalNanos) {
            publish(List.of());
            heartbeats++;
        }
    }

    long nanosSinceLastSend() {
        return System.nanoTime() - lastSendNanos;
    }

    /**
     * Test hook: the next {@code n} batches get a seq and enter the replay buffer and the log but skip the PUB, as if
     * lost in transit, so a consumer sees a deterministic gap it can repair by replay.
     */
    public synchronized void withholdNext(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        withhold = n;
    }

    /**
     * A vLLM process restart as seen on the wire, keeping the sockets bound: seq starts again at 0, the replay buffer
     * is empty, the epoch increases and a new publisher id is drawn. Subscribers stay connected, so they just see seq
     * drop back to 0 (and, with 24-byte frames, a new id). {@code SimPod.restart} can re-create the publisher instead.
     */
    public synchronized void restart() {
        nextSeq = 0;
        withhold = 0;
        epoch++;
        publisherId = UUID.randomUUID();
        if (replayBuffer != null) {
            replayBuffer.reset(publisherId);
        }
    }

    /**
     * Waits until at least {@code n} subscribers have completed the ZeroMQ handshake, plus a short grace for their
     * subscription to reach the PUB (PUB drops everything sent before a subscriber's filter arrives: the slow-joiner
     * problem). Returns false on timeout.
     */
    public synchronized boolean awaitSubscribers(int n, Duration timeout) {
        return monitor.await(n, timeout);
    }

    /** Connected subscribers as last seen by the socket monitor (handshakes minus disconnects). */
    public synchronized int subscribers() {
        return monitor.poll();
    }

    /** The seq the next batch gets. */
    public long nextSeq() {
        return nextSeq;
    }

    /** This incarnation's restart count (see {@link PublishedBatch#epoch()}). */
    public int epoch() {
        return epoch;
    }

    /** This incarnation's random id: the last 16 bytes of a 24-byte sequence frame. */
    public UUID publisherId() {
        return publisherId;
    }

    /** The sequence frame this publisher sends. */
    public SeqFrame seqFrame() {
        return seqFrame;
    }

    /** Batches published (sent or withheld, heartbeats included) by this instance, over its epochs. */
    public long published() {
        return published;
    }

    /** Batches withheld from the PUB by {@link #withholdNext(int)}. */
    public long withheld() {
        return withheld;
    }

    /** Empty batches the heartbeat published. */
    public long heartbeats() {
        return heartbeats;
    }

    /** Whether a replay is being sent now (in vLLM mode publishing waits until it ends). */
    public boolean replayInProgress() {
        return replay != null && replay.inProgress();
    }

    public int pubPort() {
        return pubPort;
    }

    /** The replay port, or -1 when replay is off. */
    public int replayPort() {
        return replay == null ? -1 : replay.port();
    }

    /** {@code tcp://host:port} a SUB on this machine connects to. */
    public String pubEndpoint() {
        return Endpoints.connectAddress(config.host(), pubPort);
    }

    /** {@code tcp://host:port} a DEALER connects to for replay, or null when replay is off. */
    public String replayEndpoint() {
        return replay == null ? null : Endpoints.connectAddress(config.host(), replay.port());
    }

    /** The publish log, or null when {@link PublisherConfig#logLimit()} is 0. */
    public PublishLog log() {
        return log;
    }

    public PublisherConfig config() {
        return config;
    }

    /** The replay service's counters (all zero when replay is off). */
    public ReplayStats replayStats() {
        return replay == null ? ReplayStats.NONE : replay.stats();
    }

    /**
     * Stops the replay service as a dying process does: a replay being sent stops before its next reply and no
     * further request is answered. Publishing goes on until {@link #close()}. Returns at once; safe from any thread,
     * even while a vLLM-mode replay holds the publishing monitor.
     */
    public void stopReplayService() {
        if (replay != null) {
            replay.stop();
        }
    }

    /**
     * Closes both sockets (subscribers and replay clients see a disconnect). A replay being sent stops before its
     * next reply, as the process it belongs to would.
     */
    @Override
    public void close() {
        // Stop the helpers first, without our monitor: a vLLM-mode replay holds it until it notices.
        stopReplayService();
        if (heartbeat != null) {
            heartbeat.stop();
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (replay != null) {
            replay.close();
        }
        if (heartbeat != null) {
            heartbeat.close();
        }
        synchronized (this) {
            monitor.close();
            pub.close();
        }
        if (ownsContext) {
            ctx.close();
        }
    }
}
