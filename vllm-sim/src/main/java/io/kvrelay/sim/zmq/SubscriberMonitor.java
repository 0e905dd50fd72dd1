package io.kvrelay.sim.zmq;

import java.time.Duration;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZEvent;
import org.zeromq.ZMQ;
import org.zeromq.ZMonitor;

/**
 * Counts the subscribers connected to a PUB from its socket-monitor events. Used only under the publisher's lock, so
 * the PAIR socket it reads is never shared between threads at once.
 */
final class SubscriberMonitor implements AutoCloseable {
    // A subscriber's SUBSCRIBE frame follows the handshake by one round of the I/O thread; this covers it with room.
    private static final long SUBSCRIPTION_GRACE_MS = 100;

    private final ZMQ.Socket events;
    private int connected;

    SubscriberMonitor(ZContext ctx, ZMQ.Socket pub, String address) {
        pub.monitor(address, ZMQ.EVENT_HANDSHAKE_PROTOCOL | ZMQ.EVENT_DISCONNECTED);
        this.events = ctx.createSocket(SocketType.PAIR);
        events.setLinger(0);
        events.connect(address);
    }

    int poll() {
        ZEvent e;
        while ((e = ZEvent.recv(events, ZMQ.DONTWAIT)) != null) {
            if (e.getEvent() == ZMonitor.Event.HANDSHAKE_PROTOCOL) {
                connected++;
            } else if (e.getEvent() == ZMonitor.Event.DISCONNECTED) {
                connected = Math.max(0, connected - 1);
            }
        }
        return connected;
    }

    boolean await(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (poll() < n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        try {
            Thread.sleep(SUBSCRIPTION_GRACE_MS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    @Override
    public void close() {
        events.close();
    }
}
