package io.kvrelay.http.frames;

import io.kvrelay.http.ConnectionLimit;
import io.kvrelay.http.Listener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link Frames framed} calls. Each call runs on the event loop that read it: the methods answer from memory,
 * so a hand-off to a pool would cost more than the work. Answers are flushed once per read, so a connection that
 * brought several calls at once gets their answers in one write. Connections are bounded and closed after
 * {@value #IDLE_MINUTES} idle minutes (callers reconnect by themselves).
 */
public final class FramedServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FramedServer.class);
    private static final int IDLE_MINUTES = 10;

    /** One method: request payload in, answer payload out, on the event loop; never blocks. */
    @FunctionalInterface
    public interface Method {
        /** @throws FrameException to answer a status other than OK (with its message) */
        byte[] call(byte[] request);
    }

    private final String name;
    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    private final Listener listener;

    /**
     * Binds at once (so {@link #port()} is known) and serves.
     *
     * @param methods   method id (1..127) → method
     * @param ioThreads event loops; 0 = the number of processors
     */
    public FramedServer(String name, String host, int port, int ioThreads, int maxFrameBytes, int maxConnections,
                        Map<Integer, Method> methods) throws InterruptedException {
        methods.keySet().forEach(id -> {
            if (id < 1 || id > 127) {
                throw new IllegalArgumentException("method ids are 1..127, got " + id);
            }
        });
        Method[] byId = new Method[128];
        methods.forEach((id, m) -> byId[id] = m);
        this.name = name;
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-accept", true),
                NioIoHandler.newFactory());
        this.loops = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(name, true),
                NioIoHandler.newFactory());
        ConnectionLimit limit = new ConnectionLimit(maxConnections, new AtomicInteger());
        ServerBootstrap b = new ServerBootstrap().group(boss, loops).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("limit", limit)
                                .addLast("idle", new IdleStateHandler(0, 0, IDLE_MINUTES, TimeUnit.MINUTES))
                                .addLast("frames", Frames.decoder(maxFrameBytes))
                                .addLast("calls", new Calls(byId));
                    }
                });
        this.listener = Listener.bind(b, host, port, this::shutdown);
        log.info("{} on {}:{}", name, host, port());
    }

    public int port() {
        return listener.port();
    }

    @Override
    public void close() {
        listener.close();
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private final class Calls extends SimpleChannelInboundHandler<ByteBuf> {
        private final Method[] methods;

        Calls(Method[] methods) {
            this.methods = methods;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (frame.readableBytes() < Frames.HEADER - 4) {
                fail(ctx, "a frame of " + frame.readableBytes() + " bytes, shorter than its header");
                return;
            }
            int id = frame.readInt();
            int kind = frame.readUnsignedByte();
            Method m = kind < methods.length ? methods[kind] : null;
            if (m == null) {
                ctx.write(Frames.error(ctx.alloc(), id, FrameStatus.UNIMPLEMENTED, "no method " + kind));
                return;
            }
            try {
                ctx.write(Frames.frame(ctx.alloc(), id, Frames.ANSWER, m.call(Frames.payload(frame))));
            } catch (FrameException e) {
                ctx.write(Frames.error(ctx.alloc(), id, e.status(), e.getMessage()));
            } catch (IllegalArgumentException e) {
                ctx.write(Frames.error(ctx.alloc(), id, FrameStatus.INVALID_ARGUMENT, e.getMessage()));
            } catch (RuntimeException e) {
                log.warn("{}: method {} failed", name, kind, e);
                ctx.write(Frames.error(ctx.alloc(), id, FrameStatus.INTERNAL, e.toString()));
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A frame over the limit or a broken stream: the framing cannot be trusted past it.
            fail(ctx, cause instanceof TooLongFrameException ? cause.getMessage() : cause.toString());
        }

        private void fail(ChannelHandlerContext ctx, String why) {
            log.debug("{}: closing {}: {}", name, ctx.channel().remoteAddress(), why);
            ctx.close();
        }
    }
}
