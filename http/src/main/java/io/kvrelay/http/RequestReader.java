package io.kvrelay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: the head is routed before the body is read (404, 405 and 413 by
 * {@code Content-Length} cost nothing), the body is gathered up to the route's limit, then the handler runs and its
 * reply is written. Reading pauses while a request is handled. Everything here runs on the connection's event loop.
 */
final class RequestReader extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestReader.class);

    private final Dispatcher dispatcher;
    private final HttpLimits limits;
    private HttpRequest head;
    private Routes.Match match;
    /** When the request being served began (its head arrived), for the request timer. */
    private long startNanos;
    private CompositeByteBuf body;
    private int limit;
    /** After an error mid-request: the rest of it is dropped and the connection closes once the answer is out. */
    private boolean discarding;
    /** After an early answer: reading on, dropping the body, until it ends or the bounds below. */
    private boolean draining;
    private long drained;
    private static final long DRAIN_BYTES = 64L * 1024 * 1024;
    private static final long DRAIN_MILLIS = 5_000;
    /** A request is being handled: what the codec decodes meanwhile waits in {@link #pending}. */
    private boolean busy;
    private final java.util.ArrayDeque<Object> pending = new java.util.ArrayDeque<>();

    RequestReader(Dispatcher dispatcher, HttpLimits limits) {
        this.dispatcher = dispatcher;
        this.limits = limits;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (busy) {
            // Pipelined: the codec decodes all the bytes it has, so the next request can come while one is handled.
            // It waits, bounded by what one read holds (reading is paused meanwhile).
            pending.add(msg);
            return;
        }
        read(ctx, msg);
    }

    private void read(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest req) {
                head(ctx, req);
            }
            if (msg instanceof HttpContent c && !discarding && head != null) {
                content(ctx, c);
            } else if (msg instanceof HttpContent c && draining) {
                drain(ctx, c);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void head(ChannelHandlerContext ctx, HttpRequest req) {
        head = req;
        startNanos = System.nanoTime();
        match = null;
        discarding = false;
        DecoderResult d = req.decoderResult();
        if (d.isFailure()) {
            fail(ctx, malformed(d.cause()));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        try {
            match = dispatcher.routes.match(req.method().name(), segments(uri.rawPath()));
        } catch (HttpError e) {
            fail(ctx, e);
            return;
        } catch (IllegalArgumentException e) {
            fail(ctx, HttpError.badRequest("malformed path: " + e.getMessage()));
            return;
        }
        limit = match.route().maxBodyBytes() > 0 ? match.route().maxBodyBytes() : limits.maxBodyBytes();
        long declared = HttpUtil.getContentLength(req, -1L);
        if (declared > limit) {
            fail(ctx, tooLarge());
            return;
        }
        if (HttpUtil.is100ContinueExpected(req)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        body = ctx.alloc().compositeBuffer();
    }

    private void content(ChannelHandlerContext ctx, HttpContent c) {
        if (c.decoderResult().isFailure()) {
            fail(ctx, malformed(c.decoderResult().cause()));
            return;
        }
        ByteBuf data = c.content();
        if (body.readableBytes() + data.readableBytes() > limit) {
            fail(ctx, tooLarge());
            return;
        }
        if (data.isReadable()) {
            body.addComponent(true, data.retain());
        }
        if (c instanceof LastHttpContent) {
            dispatch(ctx);
        }
    }

    private void dispatch(ChannelHandlerContext ctx) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        releaseBody();
        deadlines(ctx).requestComplete();
        ctx.channel().config().setAutoRead(false);
        busy = true;
        HttpRequest req = head;
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        Request r = new Request(req.method().name(), uri.path(), match.params(), uri.parameters(), name -> req.headers().get(name), bytes,
                dispatcher.json, ctx.executor(), dispatcher.workers);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        dispatcher.dispatch(match.route(), r).whenComplete((reply, e) -> {
            Reply out = e != null ? dispatcher.error(e, r) : reply;
            if (ctx.executor().inEventLoop()) {
                write(ctx, out, keepAlive);
            } else {
                ctx.executor().execute(() -> write(ctx, out, keepAlive));
            }
        });
    }

    private void write(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
        if (head != null) {
            dispatcher.metrics.record(head.method().name(), match == null ? null : match.route(), reply.status(),
                    System.nanoTime() - startNanos);
        }
        if (reply.body() instanceof Reply.Stream stream) {
            stream(ctx, reply, stream, keepAlive);
            return;
        }
        FullHttpResponse res;
        try {
            res = response(reply);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot encode the reply to {} {}", head.method(), head.uri(), e);
            byte[] b = "{\"error\":\"internal error: the reply could not be encoded\"}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    Unpooled.wrappedBuffer(b));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, b.length);
            keepAlive = false;
        }
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(res);
        answered(ctx);
    }

    /** The answer is out: the connection waits for the client's next request (and reads what it already sent). */
    private void answered(ChannelHandlerContext ctx) {
        head = null;
        busy = false;
        deadlines(ctx).idle();
        while (!busy && !discarding && !pending.isEmpty()) {
            read(ctx, pending.poll());
        }
        if (!busy && !discarding) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * An error before the request was whole: answer, drop what follows, close. A well-formed request (404, 405, 413)
     * is drained first, up to a bound and for a few seconds: a client still sending its body would otherwise meet a
     * reset before it reads the answer. A malformed one is closed at once.
     */
    private void fail(ChannelHandlerContext ctx, HttpError e) {
        boolean wellFormed = head != null && head.decoderResult().isSuccess() && e.status() != 400;
        discarding = true;
        releaseBody();
        deadlines(ctx).requestComplete();
        if (!wellFormed) {
            ctx.channel().config().setAutoRead(false);
            write(ctx, Dispatcher.error(e), false);
            return;
        }
        FullHttpResponse res;
        try {
            res = response(Dispatcher.error(e));
        } catch (IOException ex) {
            ctx.close();
            return;
        }
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res);
        draining = true;
        drained = 0;
        ctx.executor().schedule(() -> ctx.close(), DRAIN_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ctx.channel().config().setAutoRead(true);
    }

    private void drain(ChannelHandlerContext ctx, HttpContent c) {
        drained += c.content().readableBytes();
        if (c instanceof LastHttpContent || drained > DRAIN_BYTES) {
            draining = false;
            ctx.close();
        }
    }

    /**
     * A streamed body: the head with chunked transfer encoding, then each piece as the handler sends it, flushed; the
     * end answers the request as a whole answer does. No clock runs meanwhile (the request is whole; the stream may
     * last as long as the producer wants). The client closing the connection ends it and tells the producer.
     */
    private void stream(ChannelHandlerContext ctx, Reply reply, Reply.Stream stream, boolean keepAlive) {
        DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()));
        reply.headers().forEach(res.headers()::set);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, stream.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setTransferEncodingChunked(res, true);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(res);
        ChannelSink sink = new ChannelSink(ctx, keepAlive);
        try {
            stream.body().start(sink);
        } catch (RuntimeException e) {
            log.warn("a streamed body failed to start for {} {}", head == null ? "?" : head.method(),
                    head == null ? "?" : head.uri(), e);
            ctx.close();
        }
    }

    /** The sink of one streamed body: writes go through the channel (Netty queues them on its event loop, in order). */
    private final class ChannelSink implements Reply.StreamSink {
        private final ChannelHandlerContext ctx;
        private final boolean keepAlive;
        private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

        ChannelSink(ChannelHandlerContext ctx, boolean keepAlive) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
        }

        @Override
        public boolean send(byte[] piece) {
            if (ended.get() || !ctx.channel().isActive()) {
                return false;
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(piece)));
            return true;
        }

        @Override
        public void end() {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            if (!keepAlive) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (ctx.executor().inEventLoop()) {
                answered(ctx);
            } else {
                ctx.executor().execute(() -> answered(ctx));
            }
        }

        @Override
        public void onClientGone(Runnable r) {
            ctx.channel().closeFuture().addListener(f -> {
                if (!ended.get()) {
                    r.run();
                }
            });
        }
    }

    private FullHttpResponse response(Reply reply) throws IOException {
        byte[] bytes;
        String type;
        Object b = reply.body();
        if (b instanceof Reply.Text t) {
            bytes = t.text().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            type = t.contentType();
        } else if (b instanceof Reply.Bytes raw) {
            bytes = raw.bytes();
            type = raw.contentType();
        } else {
            bytes = dispatcher.json.writeValueAsBytes(b instanceof HttpError h
                    ? (match == null ? Routes.ErrorShape.KVRELAY : match.route().errorShape()).body(h) : b);
            type = "application/json";
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(bytes));
        reply.headers().forEach(res.headers()::set);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (b instanceof HttpError h) {
            long s = h.retryAfterSeconds();
            if (s > 0) {
                res.headers().set(HttpHeaderNames.RETRY_AFTER, s);
            }
            Object allow = h.body().get("allow");
            if (allow != null) {
                res.headers().set(HttpHeaderNames.ALLOW, allow);
            }
        }
        return res;
    }

    private HttpError tooLarge() {
        return new HttpError(413, "body larger than " + limit + " bytes", Map.of("limit", limit));
    }

    private static HttpError malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new HttpError(414, "request line too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new HttpError(431, "request headers too large");
        }
        if (cause instanceof TooLongFrameException) {
            return new HttpError(400, "malformed request: a frame is too long");
        }
        return HttpError.badRequest("malformed request: " + (cause == null ? "?" : cause.getMessage()));
    }

    private static String[] segments(String rawPath) {
        String[] s = Routes.split(rawPath);
        for (int i = 0; i < s.length; i++) {
            s[i] = QueryStringDecoder.decodeComponent(s[i]);
        }
        return s;
    }

    private static Deadlines deadlines(ChannelHandlerContext ctx) {
        return ctx.pipeline().get(Deadlines.class);
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseBody();
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by the peer is normal on a public port: not worth more than a debug line.
        log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
