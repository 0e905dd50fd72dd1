package io.kvrelay.http.frames;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls {@link FramedServer}s. Every connection belongs to one event loop of the group it is given, and a call made
 * on one of those loops goes out on that loop's own connection and completes there: when the group is the caller's
 * HTTP server's, a request, its call and the answer stay on one thread, with no hand-off and no lock. Calls from any
 * other thread are handed to the loops in turn. Connections open on first use, carry every concurrent call of their
 * loop, and are opened again after a failure (not sooner than {@value #RETRY_MS} ms after the last failed attempt:
 * until then calls to that server fail at once). Thread-safe.
 */
public final class FramedClient implements AutoCloseable {
    private static final int RETRY_MS = 200;

    private final EventLoop[] loops;
    /** Per loop, address → connection: touched only on that loop. */
    private final List<Map<String, Connection>> connections = new ArrayList<>();
    private final int maxFrameBytes;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    /** @param group the loops connections live on (the caller's own, see above); not shut down by this client */
    public FramedClient(EventLoopGroup group, int maxFrameBytes) {
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : group) {
            all.add((EventLoop) e);
            connections.add(new HashMap<>());
        }
        this.loops = all.toArray(EventLoop[]::new);
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Calls {@code method} on the server at host:port. Completes with the answer's payload, or exceptionally with a
     * {@link FrameException} (the server's status, or {@code UNAVAILABLE} when it cannot be reached, or
     * {@code DEADLINE_EXCEEDED}); on the connection's event loop. Never blocks.
     */
    public CompletableFuture<byte[]> call(String host, int port, int method, byte[] request, long timeoutNanos) {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        int loop = currentLoop();
        if (loop >= 0) {
            send(loop, host, port, method, request, timeoutNanos, answer);
        } else {
            int l = Math.floorMod(next.getAndIncrement(), loops.length);
            try {
                loops[l].execute(() -> send(l, host, port, method, request, timeoutNanos, answer));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                answer.completeExceptionally(new FrameException(FrameStatus.UNAVAILABLE, "client closed"));
            }
        }
        return answer;
    }

    private int currentLoop() {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i].inEventLoop()) {
                return i;
            }
        }
        return -1;
    }

    private void send(int loop, String host, int port, int method, byte[] request, long timeoutNanos,
                      CompletableFuture<byte[]> answer) {
        if (closed) {
            answer.completeExceptionally(new FrameException(FrameStatus.UNAVAILABLE, "client closed"));
            return;
        }
        Connection c = connections.get(loop).computeIfAbsent(host + ":" + port,
                a -> new Connection(loops[loop], host, port));
        c.send(method, request, timeoutNanos, answer);
    }

    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < loops.length; i++) {
            Map<String, Connection> mine = connections.get(i);
            try {
                loops[i].execute(() -> mine.values().forEach(Connection::close));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the loops are already down, and the connections with them
            }
        }
    }

    /** A call waiting for its answer. */
    private static final class Pending {
        final CompletableFuture<byte[]> answer;
        ScheduledFuture<?> timeout;

        Pending(CompletableFuture<byte[]> answer) {
            this.answer = answer;
        }
    }

    /** One connection to one server, confined to one event loop: no field needs a lock. */
    private final class Connection extends SimpleChannelInboundHandler<ByteBuf> {
        private final EventLoop loop;
        private final String host;
        private final int port;
        private final IntObjectHashMap<Pending> pending = new IntObjectHashMap<>();
        /** Frames written while the connection opens. */
        private final List<ByteBuf> queued = new ArrayList<>();
        private Channel channel;
        private boolean connecting;
        private long failedAt;
        private String failure;
        private int nextId;

        Connection(EventLoop loop, String host, int port) {
            this.loop = loop;
            this.host = host;
            this.port = port;
        }

        void send(int method, byte[] request, long timeoutNanos, CompletableFuture<byte[]> answer) {
            if (channel == null && !connecting) {
                if (failure != null && System.nanoTime() - failedAt < TimeUnit.MILLISECONDS.toNanos(RETRY_MS)) {
                    answer.completeExceptionally(new FrameException(FrameStatus.UNAVAILABLE, failure));
                    return;
                }
                connect();
            }
            int id = nextId++;
            Pending p = new Pending(answer);
            pending.put(id, p);
            p.timeout = loop.schedule(() -> {
                if (pending.remove(id) != null) {
                    answer.completeExceptionally(new FrameException(FrameStatus.DEADLINE_EXCEEDED,
                            host + ":" + port + " did not answer within " + timeoutNanos / 1_000_000 + " ms"));
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS);
            ByteBuf frame = Frames.frame(ByteBufAllocator.DEFAULT, id, method, request);
            if (channel != null) {
                channel.writeAndFlush(frame, channel.voidPromise());
            } else {
                queued.add(frame);
            }
        }

        private void connect() {
            connecting = true;
            ChannelFuture f = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("frames", Frames.decoder(maxFrameBytes)).addLast("answers",
                                    Connection.this);
                        }
                    })
                    .connect(host, port);
            f.addListener(done -> {
                connecting = false;
                if (done.isSuccess() && !closed) {
                    channel = f.channel();
                    failure = null;
                    queued.forEach(b -> channel.write(b, channel.voidPromise()));
                    queued.clear();
                    channel.flush();
                } else {
                    if (done.isSuccess()) {
                        f.channel().close();
                    }
                    lost(done.cause() == null ? "client closed" : "cannot connect to " + host + ":" + port + ": "
                            + done.cause().getMessage());
                }
            });
        }

        /** Fails every call in flight: their answers cannot come any more. */
        private void lost(String why) {
            channel = null;
            failure = why;
            failedAt = System.nanoTime();
            queued.forEach(ByteBuf::release);
            queued.clear();
            List<Pending> all = new ArrayList<>(pending.values());
            pending.clear();
            for (Pending p : all) {
                p.timeout.cancel(false);
                p.answer.completeExceptionally(new FrameException(FrameStatus.UNAVAILABLE, why));
            }
        }

        void close() {
            if (channel != null) {
                channel.close();
            }
            lost("client closed");
        }

        @Override
        public boolean isSharable() {
            return true; // one instance per connection object; a reconnect adds it to the new channel
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (frame.readableBytes() < Frames.HEADER - 4) {
                ctx.close();
                return;
            }
            int id = frame.readInt();
            int kind = frame.readUnsignedByte();
            Pending p = pending.remove(id);
            if (p == null) {
                return; // answered after its deadline
            }
            p.timeout.cancel(false);
            byte[] payload = Frames.payload(frame);
            if (kind == Frames.ANSWER) {
                p.answer.complete(payload);
            } else {
                p.answer.completeExceptionally(new FrameException(FrameStatus.of(kind & 0x7f),
                        new String(payload, StandardCharsets.UTF_8)));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == channel) {
                lost("connection to " + host + ":" + port + " closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // channelInactive fails the calls in flight
        }
    }
}
