package io.kvrelay.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on 127.0.0.1 that makes a server slow on demand: put it between a client and a server (Redis, say) and
 * every chunk the client sends is forwarded {@link #delay(Duration)} after it arrived, so each command is answered
 * that much later; {@link #stall()} forwards nothing in either direction (a server that stopped answering but keeps
 * its connections open) until {@link #resume()}, which delivers what was held, in order.
 *
 * <p>Chunks keep their order and are delayed independently (a pipeline of commands is not serialised by the delay).
 * Two threads per direction per connection: for tests and benchmarks with a few pooled connections, not for load
 * tests with thousands. Thread-safe; settings apply to chunks read after they change.
 */
public final class DelayingTcpProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DelayingTcpProxy.class);
    private static final String HOST = "127.0.0.1";

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile long delayNanos;
    private volatile boolean stalled;
    private volatile boolean closed;
    private final Object stallLock = new Object();

    private DelayingTcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getByName(HOST));
        this.acceptor = new Thread(this::accept, "proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to {@code host:port}, forwarding without delay until told otherwise. */
    public static DelayingTcpProxy to(String host, int port) {
        try {
            return new DelayingTcpProxy(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a proxy port on " + HOST, e);
        }
    }

    public String host() {
        return HOST;
    }

    /** The port clients connect to instead of the server's. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Every chunk from the client reaches the server this much after it arrived (zero: at once). */
    public DelayingTcpProxy delay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, got " + delay);
        }
        this.delayNanos = delay.toNanos();
        return this;
    }

    /** Forwards nothing in either direction, holding what arrives, until {@link #resume()}. */
    public DelayingTcpProxy stall() {
        stalled = true;
        return this;
    }

    /** Ends a {@link #stall()}: what was held is delivered, in order, and forwarding goes on. */
    public DelayingTcpProxy resume() {
        synchronized (stallLock) {
            stalled = false;
            stallLock.notifyAll();
        }
        return this;
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            listener.close();
        } catch (IOException e) {
            log.debug("closing the proxy listener", e);
        }
        sockets.forEach(DelayingTcpProxy::closeQuietly);
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("proxy on port {} stopped accepting", port(), e);
                }
                return;
            }
            Socket server = new Socket();
            try {
                server.connect(target, 2_000);
            } catch (IOException e) {
                closeQuietly(client); // the server is down: the client sees its connection dropped
                closeQuietly(server);
                continue;
            }
            for (Socket s : List.of(client, server)) {
                try {
                    s.setTcpNoDelay(true);
                } catch (IOException ignored) {
                    // a socket already reset by its peer: the pumps find out and close both
                }
                sockets.add(s);
            }
            int n = connections.incrementAndGet();
            pump(client, server, true, "proxy-up-" + n);
            pump(server, client, false, "proxy-down-" + n);
        }
    }

    /** A reader that stamps each chunk with its due time, and a writer that forwards it then. */
    private void pump(Socket from, Socket to, boolean delayed, String name) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    long due = System.nanoTime() + (delayed ? delayNanos : 0);
                    queue.put(new Chunk(Arrays.copyOf(buf, n), due));
                }
            } catch (IOException | InterruptedException e) {
                // closed by either side, or by close(): the writer ends the connection
            }
            queue.add(Chunk.END);
        }, name + "-read");
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.take();
                    if (c == Chunk.END) {
                        break;
                    }
                    long wait = c.dueNanos - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    awaitNotStalled();
                    out.write(c.bytes);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, name + "-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private void awaitNotStalled() throws InterruptedException {
        synchronized (stallLock) {
            while (stalled && !closed) {
                stallLock.wait();
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private record Chunk(byte[] bytes, long dueNanos) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }
}
