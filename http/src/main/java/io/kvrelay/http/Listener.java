package io.kvrelay.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A bound listening socket of a Netty server: what the HTTP server and the framed-call server share. */
public final class Listener implements AutoCloseable {
    private final Channel channel;

    private Listener(Channel channel) {
        this.channel = channel;
    }

    /** Binds at once (so {@link #port()} is known); if that fails, runs {@code cleanUp} (the caller's loops) first. */
    public static Listener bind(ServerBootstrap b, String host, int port, Runnable cleanUp)
            throws InterruptedException {
        try {
            return new Listener(b.bind(new InetSocketAddress(host, port)).sync().channel());
        } catch (RuntimeException | InterruptedException e) {
            cleanUp.run();
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting; open connections close with their event loops. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
