package io.kvrelay.sim.zmq;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot variant's keep-alive: when a publisher has sent nothing for {@code interval}, it publishes an empty
 * batch (a seq like any other). Runs on its own daemon thread and publishes through the publisher's lock, so in vLLM
 * mode a heartbeat waits for a replay being sent, as everything else does.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

    private final KvEventPublisher publisher;
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean running = true;

    Heartbeat(KvEventPublisher publisher, Duration interval, String threadName) {
        this.publisher = publisher;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                long wait = intervalNanos - publisher.nanosSinceLastSend();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    publisher.heartbeatIfIdle(intervalNanos);
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("heartbeat on {} stopped", thread.getName(), e);
            }
        }
    }

    /** Stops the thread without waiting; safe from any thread. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
    }

    @Override
    public void close() {
        stop();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
