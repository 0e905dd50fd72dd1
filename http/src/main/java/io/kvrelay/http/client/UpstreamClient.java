package io.kvrelay.http.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An HTTP/1.1 client on the caller's own Netty event loops, for relaying answers as they come (the router's front
 * door to its pods): a request made on one of the loops goes out on that loop and its answer arrives there, so a
 * relayed request never changes threads. Keep-alive connections are pooled per loop and server, at most
 * {@code maxConnections} per loop and server (requests beyond wait for one to free); an answer cut short or
 * cancelled closes its connection, which is how a server learns its client left. Thread-safe.
 */
public final class UpstreamClient implements AutoCloseable {
    private final EventLoop[] loops;
    /** Per loop, "host:port" → its pool: touched only on that loop. */
    private final List<Map<String, Pool>> pools = new ArrayList<>();
    private final int maxConnections;
    private final int connectTimeoutMs;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    /** @param group the loops connections live on (the caller's own); not shut down by this client */
    public UpstreamClient(EventLoopGroup group, int maxConnections, int connectTimeoutMs) {
        if (maxConnections <= 0 || connectTimeoutMs <= 0) {
            throw new IllegalArgumentException("maxConnections and connectTimeoutMs must be > 0");
        }
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : group) {
            all.add((EventLoop) e);
            pools.add(new HashMap<>());
        }
        this.loops = all.toArray(EventLoop[]::new);
        this.maxConnections = maxConnections;
        this.connectTimeoutMs = connectTimeoutMs;
    }

    /** The server did not send the answer's head in time. */
    public static final class ResponseTimeout extends java.io.IOException {
        public ResponseTimeout(String message) {
            super(message);
        }
    }

    /**
     * An answer whose head has arrived. Its body arrives afterwards: pieces received before {@link #body} is called
     * are kept and handed over then. Callbacks run on the connection's event loop.
     */
    public static final class Response {
        private final int status;
        private final Map<String, String> headers;
        private final Exchange exchange;

        Response(int status, Map<String, String> headers, Exchange exchange) {
            this.status = status;
            this.headers = headers;
            this.exchange = exchange;
        }

        public int status() {
            return status;
        }

        /** Header values by lower-case name (the last one where a name repeats). */
        public Map<String, String> headers() {
            return headers;
        }

        /**
         * Receives the body: {@code piece} for each chunk, then {@code end} once, with null or the failure that cut
         * it short.
         */
        public void body(Consumer<byte[]> piece, Consumer<Throwable> end) {
            exchange.loop.execute(() -> exchange.listen(piece, end));
        }

        /** Stops the answer: the connection closes (the server sees its client leave) and {@code end} gets called. */
        public void cancel() {
            exchange.loop.execute(exchange::cancel);
        }
    }

    /**
     * POSTs (or another method) {@code body} to {@code host:port path}. Completes, on a loop of this client, when
     * the answer's head arrives, or exceptionally: a {@link ConnectException} when the server refused or did not
     * accept within the connect timeout (nothing was sent), {@link ResponseTimeout}, or another I/O failure.
     */
    public CompletableFuture<Response> send(String host, int port, String method, String path,
                                            Map<String, String> headers, byte[] body, long responseTimeoutMs) {
        CompletableFuture<Response> head = new CompletableFuture<>();
        int loop = currentLoop();
        int l = loop >= 0 ? loop : Math.floorMod(next.getAndIncrement(), loops.length);
        Exchange x = new Exchange(loops[l], host, port, method, path, headers, body, responseTimeoutMs, head);
        if (loop >= 0) {
            start(l, x);
        } else {
            try {
                loops[l].execute(() -> start(l, x));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                head.completeExceptionally(new java.io.IOException("client closed"));
            }
        }
        return head;
    }

    /** Sends and collects the whole answer (small bodies: at most {@code maxBytes}). */
    public CompletableFuture<byte[]> exchange(String host, int port, String method, String path,
                                              Map<String, String> headers, byte[] body, long timeoutMs,
                                              int maxBytes, int[] statusOut) {
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        send(host, port, method, path, headers, body, timeoutMs).whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
                return;
            }
            statusOut[0] = r.status();
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            r.body(p -> {
                if (bytes.size() + p.length > maxBytes) {
                    r.cancel();
                    out.completeExceptionally(new java.io.IOException("answer larger than " + maxBytes + " bytes"));
                    return;
                }
                bytes.writeBytes(p);
            }, failure -> {
                if (failure != null) {
                    out.completeExceptionally(failure);
                } else {
                    out.complete(bytes.toByteArray());
                }
            });
        });
        return out;
    }

    private int currentLoop() {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i].inEventLoop()) {
                return i;
            }
        }
        return -1;
    }

    private void start(int loop, Exchange x) {
        if (closed) {
            x.head.completeExceptionally(new java.io.IOException("client closed"));
            return;
        }
        pools.get(loop).computeIfAbsent(x.host + ":" + x.port, k -> new Pool(loops[loop], x.host, x.port)).acquire(x);
    }

    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < loops.length; i++) {
            Map<String, Pool> mine = pools.get(i);
            try {
                loops[i].execute(() -> mine.values().forEach(Pool::close));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the loops are down, and the connections with them
            }
        }
    }

    /** One loop's connections to one server: idle ones, how many are open, and requests waiting for one. */
    private final class Pool {
        private final EventLoop loop;
        private final String host;
        private final int port;
        private final ArrayDeque<Channel> idle = new ArrayDeque<>();
        private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
        private int open;

        Pool(EventLoop loop, String host, int port) {
            this.loop = loop;
            this.host = host;
            this.port = port;
        }

        void acquire(Exchange x) {
            Channel c;
            while ((c = idle.pollLast()) != null) {
                if (c.isActive()) {
                    x.run(this, c);
                    return;
                }
                open--; // closed by the server while idle
            }
            if (open >= maxConnections) {
                waiting.add(x);
                return;
            }
            open++;
            ChannelFuture f = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("codec", new HttpClientCodec())
                                    .addLast("answer", new AnswerHandler());
                        }
                    }).connect(host, port);
            f.addListener(done -> {
                if (done.isSuccess()) {
                    x.run(this, f.channel());
                } else {
                    open--;
                    Throwable cause = done.cause();
                    x.fail(cause instanceof ConnectException ? cause
                            : new ConnectException(host + ":" + port + ": " + cause));
                    next();
                }
            });
        }

        /** A connection is done with its exchange: reused, or closed. */
        void release(Channel c, boolean reusable) {
            if (reusable && c.isActive() && !closed) {
                Exchange w = waiting.poll();
                if (w != null) {
                    w.run(this, c);
                } else {
                    idle.add(c);
                }
                return;
            }
            open--;
            c.close();
            next();
        }

        private void next() {
            Exchange w = waiting.poll();
            if (w != null) {
                acquire(w);
            }
        }

        void close() {
            idle.forEach(Channel::close);
            idle.clear();
            waiting.forEach(w -> w.fail(new java.io.IOException("client closed")));
            waiting.clear();
        }
    }

    /** One request and its answer, on one connection, confined to the loop. */
    private static final class Exchange {
        final EventLoop loop;
        final String host;
        final int port;
        final String method;
        final String path;
        final Map<String, String> headers;
        final byte[] body;
        final long responseTimeoutMs;
        final CompletableFuture<Response> head;
        private Pool pool;
        private Channel channel;
        private ScheduledFuture<?> timeout;
        private final List<byte[]> early = new ArrayList<>();
        private Consumer<byte[]> piece;
        private Consumer<Throwable> end;
        private boolean done;
        private Throwable endedWith;
        private boolean keepAlive;

        Exchange(EventLoop loop, String host, int port, String method, String path, Map<String, String> headers,
                 byte[] body, long responseTimeoutMs, CompletableFuture<Response> head) {
            this.loop = loop;
            this.host = host;
            this.port = port;
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.body = body;
            this.responseTimeoutMs = responseTimeoutMs;
            this.head = head;
        }

        void run(Pool p, Channel c) {
            pool = p;
            channel = c;
            c.pipeline().get(AnswerHandler.class).exchange = this;
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                    path, Unpooled.wrappedBuffer(body));
            headers.forEach(req.headers()::set);
            req.headers().set(HttpHeaderNames.HOST, host + ":" + port)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            timeout = loop.schedule(() -> {
                if (!head.isDone()) {
                    finish(new ResponseTimeout(host + ":" + port + " sent no answer within " + responseTimeoutMs
                            + " ms"), false);
                }
            }, responseTimeoutMs, TimeUnit.MILLISECONDS);
            c.writeAndFlush(req).addListener(w -> {
                if (!w.isSuccess()) {
                    finish(w.cause(), false);
                }
            });
        }

        void fail(Throwable t) {
            head.completeExceptionally(t);
        }

        void onHead(HttpResponse r) {
            timeout.cancel(false);
            keepAlive = HttpUtil.isKeepAlive(r);
            Map<String, String> h = new LinkedHashMap<>();
            r.headers().forEach(e -> h.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
            head.complete(new Response(r.status().code(), h, this));
        }

        void onContent(ByteBuf content) {
            if (done || !content.isReadable()) {
                return;
            }
            byte[] b = ByteBufUtil.getBytes(content);
            if (piece != null) {
                piece.accept(b);
            } else {
                early.add(b);
            }
        }

        void listen(Consumer<byte[]> p, Consumer<Throwable> e) {
            early.forEach(p);
            early.clear();
            if (done) {
                e.accept(endedWith);
                return;
            }
            piece = p;
            end = e;
        }

        void cancel() {
            finish(new java.util.concurrent.CancellationException("cancelled"), false);
        }

        /** The exchange is over: the connection goes back to the pool only after a whole, keep-alive answer. */
        void finish(Throwable failure, boolean whole) {
            if (done) {
                return;
            }
            done = true;
            endedWith = failure;
            if (timeout != null) {
                timeout.cancel(false);
            }
            Channel c = channel;
            channel = null;
            if (c != null) {
                c.pipeline().get(AnswerHandler.class).exchange = null;
                pool.release(c, whole && keepAlive && failure == null);
            }
            if (!head.isDone()) {
                head.completeExceptionally(failure != null ? failure
                        : new java.io.IOException(host + ":" + port + " closed the connection before answering"));
            } else if (end != null) {
                end.accept(failure);
            }
        }
    }

    /** Hands a connection's answer to its current exchange. */
    private static final class AnswerHandler extends SimpleChannelInboundHandler<HttpObject> {
        Exchange exchange;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            Exchange x = exchange;
            if (x == null) {
                return; // nothing asked: a late piece of a cancelled answer
            }
            if (msg instanceof HttpResponse r) {
                x.onHead(r);
            }
            if (msg instanceof HttpContent c) {
                x.onContent(c.content());
                if (msg instanceof LastHttpContent) {
                    x.finish(null, true);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            if (x != null) {
                x.finish(new java.io.IOException(x.host + ":" + x.port + " closed the connection mid-answer"), false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange x = exchange;
            if (x != null) {
                x.finish(cause, false);
            } else {
                ctx.close();
            }
        }
    }
}
