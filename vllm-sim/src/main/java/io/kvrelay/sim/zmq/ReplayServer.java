package io.kvrelay.sim.zmq;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * vLLM's replay service: a ROUTER that answers {@code [identity, "", start_seq8]} with every buffered batch from
 * {@code start_seq} on, one message each, then an end marker. It owns its socket and runs on its own thread (JeroMQ
 * sockets are not thread-safe); the socket is created and bound by the constructor so bind errors and the port are
 * known at once, then handed to the thread, whose start publishes it safely.
 *
 * <p>In {@link ReplayServing#PUBLISHING_THREAD} mode the whole send loop holds the publisher's monitor, which is what
 * serving from vLLM's publishing thread amounts to: nothing is published meanwhile. Requests are read one at a time,
 * so a second one waits in the ROUTER's queue behind the first send loop, in both modes.
 *
 * <p>The ROUTER is "mandatory" and sends without waiting, so a reply the peer's full pipe cannot take is counted as
 * dropped instead of vanishing; the peer sees exactly what a default ROUTER's silent drop shows it.
 */
final class ReplayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayServer.class);
    private static final byte[] EMPTY = new byte[0];
    private static final int POLL_MS = 50;

    private final ZMQ.Socket router;
    private final ReplayBuffer buffer;
    private final byte[] topic;
    private final ReplayReplyShape shape;
    private final SeqFrame seqFrame;
    private final ReplayServing serving;
    private final long paceNanos;
    private final Object publisherLock;
    private final int port;
    private final Thread thread;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong badRequests = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private final AtomicLong batchesReplayed = new AtomicLong();
    private final AtomicLong repliesSent = new AtomicLong();
    private final AtomicLong repliesDropped = new AtomicLong();
    private final AtomicLong endMarkersSent = new AtomicLong();
    private final AtomicLong endMarkersDropped = new AtomicLong();
    private volatile boolean inProgress;
    private volatile boolean running = true;

    ReplayServer(ZContext ctx, String host, int port, ReplayBuffer buffer, byte[] topic, ReplayReplyShape shape,
                 Fidelity fidelity, Object publisherLock, String threadName) {
        this.buffer = buffer;
        this.topic = topic;
        this.shape = shape;
        this.seqFrame = fidelity.seqFrame();
        this.serving = fidelity.replayServing();
        this.paceNanos = fidelity.replayPace().toNanos();
        this.publisherLock = publisherLock;
        this.router = ctx.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        router.setReceiveTimeOut(POLL_MS);
        router.setRouterMandatory(true);
        router.setSndHWM(fidelity.routerSndHwm(buffer.capacity()));
        try {
            this.port = Endpoints.bind(router, host, port);
        } catch (RuntimeException e) {
            router.close();
            throw e;
        }
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return port;
    }

    ReplayStats stats() {
        return new ReplayStats(requests.get(), badRequests.get(), served.get(), aborted.get(), batchesReplayed.get(),
                repliesSent.get(), repliesDropped.get(), endMarkersSent.get(), endMarkersDropped.get(), buffer.size(),
                inProgress);
    }

    boolean inProgress() {
        return inProgress;
    }

    private void run() {
        try {
            while (running) {
                byte[] first = router.recv(0);
                if (first == null) {
                    continue;
                }
                List<byte[]> frames = new ArrayList<>(3);
                frames.add(first);
                while (router.hasReceiveMore()) {
                    frames.add(router.recv(0));
                }
                handle(frames);
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("replay service on port {} stopped", port, e);
            }
        } finally {
            router.close();
        }
    }

    private void handle(List<byte[]> frames) {
        requests.incrementAndGet();
        if (frames.size() != 3 || frames.get(1).length != 0 || frames.get(2).length != 8) {
            badRequests.incrementAndGet();
            LOG.warn("replay port {}: ignoring malformed request of {} frames {}", port, frames.size(),
                    describe(frames));
            return;
        }
        byte[] identity = frames.get(0);
        long start = SeqFrame.seqOf(frames.get(2));
        if (serving == ReplayServing.PUBLISHING_THREAD) {
            synchronized (publisherLock) {
                sendReplay(identity, start);
            }
        } else {
            sendReplay(identity, start);
        }
    }

    private void sendReplay(byte[] identity, long start) {
        inProgress = true;
        try {
            ReplayBuffer.Slice slice = buffer.slice(start);
            byte[] topicFrame = shape == ReplayReplyShape.WITH_TOPIC ? topic : null;
            long began = System.nanoTime();
            int i = 0;
            for (ReplayBuffer.Entry e : slice.entries()) {
                if (!pace(began, i++)) {
                    aborted.incrementAndGet();
                    LOG.debug("replay port {}: closed after {} of {} replies", port, i - 1, slice.entries().size());
                    return;
                }
                batchesReplayed.incrementAndGet();
                boolean sent = sendReply(identity, topicFrame, seqFrame.encode(e.seq(), slice.publisherId()),
                        e.payload());
                (sent ? repliesSent : repliesDropped).incrementAndGet();
            }
            boolean endSent = sendReply(identity, topicFrame == null ? null : EMPTY,
                    seqFrame.endMarker(slice.publisherId()), EMPTY);
            (endSent ? endMarkersSent : endMarkersDropped).incrementAndGet();
            served.incrementAndGet();
            LOG.debug("replay port {}: {} batches from seq {}", port, slice.entries().size(),
                    Long.toUnsignedString(start));
        } finally {
            inProgress = false;
        }
    }

    /** Waits until reply {@code i} is due; false when the service is closing. */
    private boolean pace(long began, int i) {
        if (paceNanos > 0) {
            long due = began + i * paceNanos;
            long now;
            while (running && (now = System.nanoTime()) < due) {
                LockSupport.parkNanos(due - now);
            }
        }
        return running;
    }

    /** One reply; false when the peer's pipe is full or the peer is gone (a default ROUTER drops it silently). */
    private boolean sendReply(byte[] identity, byte[] topicFrame, byte[] seq, byte[] payload) {
        try {
            if (!router.send(identity, ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
                return false;
            }
        } catch (ZMQException e) {
            if (e.getErrorCode() == zmq.ZError.EHOSTUNREACH) {
                return false;
            }
            throw e;
        }
        router.sendMore(EMPTY);
        if (topicFrame != null) {
            router.sendMore(topicFrame);
        }
        router.sendMore(seq);
        router.send(payload, 0);
        return true;
    }

    private static String describe(List<byte[]> frames) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < frames.size() && i < 4; i++) {
            byte[] f = frames.get(i);
            sb.append(i == 0 ? "" : ", ").append(HexFormat.of().formatHex(f, 0, Math.min(f.length, 16)));
        }
        return sb.append(']').toString();
    }

    /** Stops the loop (a replay being sent stops before its next reply) without waiting; safe from any thread. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
    }

    @Override
    public void close() {
        stop();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
