package io.kvrelay.sim.zmq;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * vLLM's replay service: a ROUTER that answers {@code [identity, "", start_seq8]} with every buffered batch from
 * {@code start_seq} on, then an end marker. It owns its socket and runs on its own thread (JeroMQ sockets are not
 * thread-safe); the socket is created and bound by the constructor so bind errors and the port are known at once,
 * then handed to the thread, whose start publishes it safely.
 */
final class ReplayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayServer.class);
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] END_SEQ = {-1, -1, -1, -1, -1, -1, -1, -1};
    private static final int POLL_MS = 50;

    private final ZMQ.Socket router;
    private final ReplayBuffer buffer;
    private final byte[] topic;
    private final ReplayReplyShape shape;
    private final int port;
    private final Thread thread;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong badRequests = new AtomicLong();
    private final AtomicLong batchesReplayed = new AtomicLong();
    private volatile boolean running = true;

    ReplayServer(ZContext ctx, String host, int port, ReplayBuffer buffer, byte[] topic, ReplayReplyShape shape,
                 String threadName) {
        this.buffer = buffer;
        this.topic = topic;
        this.shape = shape;
        this.router = ctx.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        router.setReceiveTimeOut(POLL_MS);
        // vLLM leaves the ROUTER at the default HWM of 1000, which can cut a long replay short; the simulator lets a
        // whole buffer through so that a consumer's recovery is tested, not ZeroMQ's queue limit.
        router.setSndHWM(buffer.capacity() + 2);
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

    long requests() {
        return requests.get();
    }

    long badRequests() {
        return badRequests.get();
    }

    long batchesReplayed() {
        return batchesReplayed.get();
    }

    private void run() {
        try {
            while (running) {
                byte[] first = router.recv(0);
                if (first == null) {
                    continue;
                }
                List<byte[]> frames = new java.util.ArrayList<>(3);
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
        long start = readLong(frames.get(2));
        List<ReplayBuffer.Entry> entries = buffer.from(start);
        for (ReplayBuffer.Entry e : entries) {
            router.sendMore(identity);
            router.sendMore(EMPTY);
            if (shape == ReplayReplyShape.WITH_TOPIC) {
                router.sendMore(topic);
            }
            router.sendMore(seqBytes(e.seq()));
            router.send(e.payload(), 0);
        }
        router.sendMore(identity);
        router.sendMore(EMPTY);
        if (shape == ReplayReplyShape.WITH_TOPIC) {
            router.sendMore(EMPTY);
        }
        router.sendMore(END_SEQ);
        router.send(EMPTY, 0);
        batchesReplayed.addAndGet(entries.size());
        LOG.debug("replay port {}: sent {} batches from seq {}", port, entries.size(), Long.toUnsignedString(start));
    }

    static byte[] seqBytes(long seq) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (seq >>> (56 - 8 * i));
        }
        return b;
    }

    private static long readLong(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static String describe(List<byte[]> frames) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < frames.size() && i < 4; i++) {
            byte[] f = frames.get(i);
            sb.append(i == 0 ? "" : ", ").append(HexFormat.of().formatHex(f, 0, Math.min(f.length, 16)));
        }
        return sb.append(']').toString();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
