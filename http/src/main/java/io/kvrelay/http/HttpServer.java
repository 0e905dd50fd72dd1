package io.kvrelay.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server of every kvrelay part, on Netty's event loops: a connection costs a socket, not a thread, so
 * slow clients cannot starve the others; limits and timeouts are {@link HttpLimits}; every error is JSON
 * ({@link HttpError}); routing (404, 405) is {@link Routes}. One request per connection at a time: the next is read
 * once the answer is written, so a pipelining client gets its answers in order and cannot queue unbounded work.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final String name;
    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    /** Whether {@link #loops} is this server's to shut down (not when the caller shares its own). */
    private final boolean ownLoops;
    private final ThreadPoolExecutor workers;
    private final Listener listener;
    private final AtomicInteger open = new AtomicInteger();

    /**
     * Binds at once (so {@link #port()} is known) and serves.
     *
     * @param name    names the threads and the log line (e.g. "router")
     * @param ioThreads event loops; 0 = the number of processors
     */
    public HttpServer(String name, String host, int port, int ioThreads, HttpLimits limits, Routes routes,
                      ObjectMapper json, ErrorMapper errors) throws InterruptedException {
        this(name, host, port, ioThreads, limits, routes, json, errors, null);
    }

    /** ... recording every request in {@code metrics} ({@code http_server_requests_seconds}, by route). */
    public HttpServer(String name, String host, int port, int ioThreads, HttpLimits limits, Routes routes,
                      ObjectMapper json, ErrorMapper errors, MeterRegistry metrics) throws InterruptedException {
        this(name, host, port, eventLoops(name, ioThreads), true, limits, routes, json, errors, metrics);
    }

    /**
     * A server on event loops the caller made with {@link #eventLoops} and shares (a client whose connections live
     * on the same loops answers a request without leaving its thread); the caller shuts them down after
     * {@link #close()}.
     */
    public HttpServer(String name, String host, int port, EventLoopGroup loops, HttpLimits limits, Routes routes,
                      ObjectMapper json, ErrorMapper errors) throws InterruptedException {
        this(name, host, port, loops, limits, routes, json, errors, null);
    }

    /** ... recording every request in {@code metrics} ({@code http_server_requests_seconds}, by route). */
    public HttpServer(String name, String host, int port, EventLoopGroup loops, HttpLimits limits, Routes routes,
                      ObjectMapper json, ErrorMapper errors, MeterRegistry metrics) throws InterruptedException {
        this(name, host, port, loops, false, limits, routes, json, errors, metrics);
    }

    /** The event loops of a server named {@code name}; 0 threads = the number of processors. */
    public static EventLoopGroup eventLoops(String name, int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name + "-http", true),
                NioIoHandler.newFactory());
    }

    private HttpServer(String name, String host, int port, EventLoopGroup loops, boolean ownLoops, HttpLimits limits,
                       Routes routes, ObjectMapper json, ErrorMapper errors, MeterRegistry metrics)
            throws InterruptedException {
        this.name = name;
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-http-accept", true),
                NioIoHandler.newFactory());
        this.loops = loops;
        this.ownLoops = ownLoops;
        this.workers = new ThreadPoolExecutor(limits.workerThreads(), limits.workerThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.workerQueue()), new DefaultThreadFactory(name + "-http-worker", true));
        workers.allowCoreThreadTimeOut(true);
        Dispatcher dispatcher = new Dispatcher(routes, json, errors, workers, limits,
                metrics == null ? HttpMetrics.NONE : new HttpMetrics(metrics));
        ConnectionLimit limit = new ConnectionLimit(limits.maxConnections(), open);
        ServerBootstrap b = new ServerBootstrap().group(boss, loops).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("limit", limit)
                                .addLast("deadlines", new Deadlines(limits))
                                .addLast("codec", new HttpServerCodec(limits.maxLineBytes(), limits.maxHeaderBytes(),
                                        8192))
                                .addLast("requests", new RequestReader(dispatcher, limits));
                    }
                });
        this.listener = Listener.bind(b, host, port, this::shutdown);
        log.info("{} HTTP on http://{}:{}", name, host, port());
    }

    public int port() {
        return listener.port();
    }

    /** Connections open now. */
    public int connections() {
        return open.get();
    }

    @Override
    public void close() {
        listener.close();
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (ownLoops) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        workers.shutdownNow();
        log.debug("{} HTTP stopped", name);
    }
}
