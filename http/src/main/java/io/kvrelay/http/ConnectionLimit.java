package io.kvrelay.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Closes a connection at once when {@code max} are open already: a crowd of idle clients cannot exhaust the fds. */
@ChannelHandler.Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);

    private final int max;
    private final AtomicInteger open;
    private volatile long lastWarnNanos;

    public ConnectionLimit(int max, AtomicInteger open) {
        this.max = max;
        this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (open.incrementAndGet() > max) {
            long now = System.nanoTime();
            if (now - lastWarnNanos > 10_000_000_000L) {
                lastWarnNanos = now;
                log.warn("{} connections open, the limit: refusing {}", max, ctx.channel().remoteAddress());
            }
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open.decrementAndGet();
        super.channelInactive(ctx);
    }
}
