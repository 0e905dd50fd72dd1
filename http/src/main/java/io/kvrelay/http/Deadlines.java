package io.kvrelay.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two clocks of a connection, ahead of the HTTP codec so they see raw bytes. Between requests, the idle clock:
 * no byte for {@code idleTimeoutMs} closes it. From a request's first byte until it is whole, the request clock: a
 * client that trickles its headers or body past {@code requestTimeoutMs} gets 408 and is closed. While a handler
 * works, neither runs (reading is paused then).
 */
final class Deadlines extends ChannelInboundHandlerAdapter {
    private static final String TIMEOUT_BODY = "{\"error\":\"request not received whole in time\"}";
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
            + "Connection: close\r\nContent-Length: " + TIMEOUT_BODY.length() + "\r\n\r\n" + TIMEOUT_BODY)
            .getBytes(StandardCharsets.US_ASCII);

    private final long requestNanos;
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean reading;

    Deadlines(HttpLimits limits) {
        this.requestNanos = TimeUnit.MILLISECONDS.toNanos(limits.requestTimeoutMs());
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMs());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        idle();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!reading) {
            reading = true;
            schedule(requestNanos, true);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /** The request is whole: the handler's time is not the client's. Called on the event loop. */
    void requestComplete() {
        cancel();
    }

    /** The answer is written: the idle clock runs until the next request's first byte. Called on the event loop. */
    void idle() {
        reading = false;
        schedule(idleNanos, false);
    }

    private void schedule(long nanos, boolean request) {
        cancel();
        timer = ctx.executor().schedule(() -> expire(request), nanos, TimeUnit.NANOSECONDS);
    }

    private void expire(boolean request) {
        if (request) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
