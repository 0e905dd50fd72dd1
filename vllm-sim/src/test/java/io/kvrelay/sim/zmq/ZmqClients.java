package io.kvrelay.sim.zmq;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Minimal consumer-side sockets for the tests: a SUB and a DEALER replay client, as a bridge would use them.
 *
 * <p>JeroMQ 0.6.0's connecting side sometimes completes the TCP connect but never the ZMTP handshake (about 1 in 100
 * fresh connections here; jeromq PR #1022 "connect hand-off race"). It only recovers when the handshake timer tears
 * the connection down, 30 s by default, so clients set a short handshake interval.
 *
 * <p>A SUB (re)sends its subscription only when its own thread processes commands, i.e. inside recv: after such a
 * reconnect, a SUB whose thread is busy elsewhere misses messages. Subscribers here therefore receive on their own
 * thread, as a bridge does.
 */
public final class ZmqClients {
    public static final int HANDSHAKE_IVL_MS = 500;

    private ZmqClients() {
    }

    /** One received message: the frames of a PUB message or of one replay reply. */
    public record Frames(List<byte[]> frames) {
        public byte[] get(int i) {
            return frames.get(i);
        }

        public int size() {
            return frames.size();
        }

        public long seqAt(int i) {
            assertThat(frames.get(i)).hasSize(8);
            return ByteBuffer.wrap(frames.get(i)).getLong();
        }
    }

    public static ZMQ.Socket sub(ZContext ctx, String endpoint, int rcvHwm) {
        ZMQ.Socket sub = ctx.createSocket(SocketType.SUB);
        sub.setLinger(0);
        sub.setHandshakeIvl(HANDSHAKE_IVL_MS);
        sub.setRcvHWM(rcvHwm);
        sub.setReceiveTimeOut(2_000);
        sub.subscribe(new byte[0]);
        sub.connect(endpoint);
        return sub;
    }

    public static ZMQ.Socket dealer(ZContext ctx, String endpoint) {
        ZMQ.Socket dealer = ctx.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setHandshakeIvl(HANDSHAKE_IVL_MS);
        dealer.setReceiveTimeOut(2_000);
        dealer.connect(endpoint);
        return dealer;
    }

    /** All frames of the next message, or null on timeout. */
    public static Frames recv(ZMQ.Socket socket) {
        byte[] first = socket.recv(0);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>();
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv(0));
        }
        return new Frames(frames);
    }

    public static byte[] seq8(long seq) {
        return ByteBuffer.allocate(8).putLong(seq).array();
    }

    /** Sends the replay request {@code [b"", seq8]} a DEALER sends, without waiting for replies. */
    public static void requestReplay(ZMQ.Socket dealer, long start) {
        dealer.sendMore(new byte[0]);
        dealer.send(seq8(start), 0);
    }

    /** Receives exactly {@code n} messages, waiting as long as {@code deadline} in all; fails if fewer arrive. */
    public static List<Frames> recvExactly(ZMQ.Socket socket, long n, Duration deadline) {
        long until = System.nanoTime() + deadline.toNanos();
        List<Frames> out = new ArrayList<>();
        while (out.size() < n && System.nanoTime() < until) {
            Frames f = recv(socket);
            if (f != null) {
                out.add(f);
            }
        }
        assertThat(out).as("messages received within " + deadline).hasSize((int) n);
        return out;
    }

    /** Waits for {@code condition}, polling; fails with {@code what} after {@code deadline}. */
    public static void await(String what, Duration deadline, java.util.function.BooleanSupplier condition) {
        long until = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < until).as("waited " + deadline + " for: " + what).isTrue();
            LockSupport.parkNanos(5_000_000);
        }
    }

    /** The last frame of a replay reply is empty only in the end marker. */
    public static boolean isEndMarker(Frames f) {
        return f.get(f.size() - 1).length == 0;
    }

    /** Sends {@code [b"", seq8]} on a DEALER and collects replies up to and including the end marker. */
    public static List<Frames> replay(ZMQ.Socket dealer, long start) {
        dealer.sendMore(new byte[0]);
        dealer.send(seq8(start), 0);
        List<Frames> replies = new ArrayList<>();
        while (true) {
            Frames f = recv(dealer);
            assertThat(f).as("replay reply before end marker").isNotNull();
            replies.add(f);
            if (f.get(f.size() - 1).length == 0) {
                return replies;
            }
        }
    }

    /** A SUB receiving on its own thread into a queue, optionally slowly (a consumer that cannot keep up). */
    public static final class Subscriber implements AutoCloseable {
        private final BlockingQueue<Frames> received = new LinkedBlockingQueue<>();
        private final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        public Subscriber(ZContext ctx, String endpoint, int rcvHwm, long pauseNanosPerMessage) {
            this(ctx, endpoint, rcvHwm, pauseNanosPerMessage, true);
        }

        /** With {@code keep} false messages are only counted (rate tests: no queue growing by the gigabyte). */
        Subscriber(ZContext ctx, String endpoint, int rcvHwm, long pauseNanosPerMessage, boolean keep) {
            ZMQ.Socket sub = sub(ctx, endpoint, rcvHwm);
            sub.setReceiveTimeOut(20);
            this.thread = new Thread(() -> {
                try {
                    while (running) {
                        Frames f = recv(sub);
                        if (f != null) {
                            count.incrementAndGet();
                            if (keep) {
                                received.add(f);
                            }
                            if (pauseNanosPerMessage > 0) {
                                LockSupport.parkNanos(pauseNanosPerMessage);
                            }
                        }
                    }
                } finally {
                    sub.close();
                }
            }, "test-sub");
            thread.setDaemon(true);
            thread.start();
        }

        public long count() {
            return count.get();
        }

        public Frames poll(Duration timeout) throws InterruptedException {
            return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Everything received until nothing more arrives for {@code idle}. */
        public List<Frames> drain(Duration idle) throws InterruptedException {
            List<Frames> out = new ArrayList<>();
            Frames f;
            while ((f = poll(idle)) != null) {
                out.add(f);
            }
            return out;
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
