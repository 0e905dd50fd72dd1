package io.kvrelay.sim.zmq;

import io.kvrelay.sim.wire.BatchSummary;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.SimEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * One vLLM worker's KV-event publisher: a bound PUB sending {@code [topic, seq8, payload]} with seq counting from 0
 * per instance (and per {@link #restart()}), plus the optional replay ROUTER on its own thread.
 *
 * <p>Publishing methods are synchronized: the PUB socket must only be used by one thread at a time, and the
 * uncontended monitor also gives the memory barrier JeroMQ needs when a socket moves between threads. Nothing else
 * happens under it except an append to the replay buffer.
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
    private final ReplayBuffer replayBuffer;
    private final ReplayServer replay;
    private final PublishLog log;
    private final int pubPort;
    private long nextSeq;
    private int epoch;
    private int withhold;
    private long published;
    private long withheld;
    private boolean closed;

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
        this.log = log != null ? log : config.logLimit() > 0 ? new PublishLog(config.logLimit()) : null;
        int id = INSTANCES.incrementAndGet();
        this.pub = ctx.createSocket(SocketType.PUB);
        pub.setLinger(0);
        pub.setSndHWM(config.sndHwm());
        SubscriberMonitor mon = null;
        ReplayServer rep = null;
        try {
            mon = new SubscriberMonitor(ctx, pub, "inproc://kvsim-pub-monitor-" + id);
            this.pubPort = Endpoints.bind(pub, config.host(), config.pubPort());
            if (config.replayPort() != null) {
                this.replayBuffer = new ReplayBuffer(config.replayBufferSteps());
                rep = new ReplayServer(ctx, config.host(), config.replayPort(), replayBuffer, topic,
                        config.replyShape(), "kvsim-replay-" + pubPort);
            } else {
                this.replayBuffer = null;
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
        this.replay = rep;
    }

    /** Encodes {@code events} with {@code ts = now} and this worker's rank, and publishes them as the next seq. */
    public synchronized PublishedBatch publish(List<? extends SimEvent> events) {
        Instant now = Instant.now();
        double ts = now.getEpochSecond() + now.getNano() / 1e9;
        byte[] payload = encoder.encode(ts, config.dpRank(), events);
        boolean sent = !withholdNext();
        long seq = send(payload, sent);
        PublishedBatch batch = new PublishedBatch(config.dpRank(), epoch, seq, ts, payload, List.copyOf(events),
                BatchSummary.of(events), sent);
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
            log.add(new PublishedBatch(config.dpRank(), epoch, seq, Double.NaN, payload, null, null, sent));
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
            // A fresh seq array each time: JeroMQ wraps, not copies, the arrays of queued messages.
            pub.send(topic, ZMQ.SNDMORE);
            pub.send(ReplayServer.seqBytes(seq), ZMQ.SNDMORE);
            pub.send(payload, 0);
        } else {
            withheld++;
        }
        published++;
        if (replayBuffer != null) {
            replayBuffer.append(seq, payload);
        }
        return seq;
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
     * is empty and the epoch increases. Subscribers stay connected, so they just see seq drop back to 0.
     */
    public synchronized void restart() {
        nextSeq = 0;
        withhold = 0;
        epoch++;
        if (replayBuffer != null) {
            replayBuffer.clear();
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

    public synchronized long nextSeq() {
        return nextSeq;
    }

    public synchronized int epoch() {
        return epoch;
    }

    /** Batches published (sent or withheld) over all epochs. */
    public synchronized long published() {
        return published;
    }

    /** Batches withheld from the PUB by {@link #withholdNext(int)}. */
    public synchronized long withheld() {
        return withheld;
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

    public ReplayStats replayStats() {
        if (replay == null) {
            return new ReplayStats(0, 0, 0, 0);
        }
        return new ReplayStats(replay.requests(), replay.badRequests(), replay.batchesReplayed(), replayBuffer.size());
    }

    /** Replay service counters: requests received, malformed requests ignored, batches sent back, buffer fill. */
    public record ReplayStats(long requests, long badRequests, long batchesReplayed, int buffered) {
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (replay != null) {
            replay.close();
        }
        monitor.close();
        pub.close();
        if (ownsContext) {
            ctx.close();
        }
    }
}
