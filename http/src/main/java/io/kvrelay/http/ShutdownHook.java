package io.kvrelay.http;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a part's main runs until it is asked to stop (SIGTERM, Ctrl-C): the parts are closed INSIDE the JVM's shutdown
 * hook, in the order given. The JVM halts as soon as its hooks return, so a close left to the main thread after a
 * latch never finished: no group leave, no store flush, no drain (a SIGTERM was a kill -9).
 */
public final class ShutdownHook {
    private static final Logger log = LoggerFactory.getLogger(ShutdownHook.class);

    private final CountDownLatch stopped = new CountDownLatch(1);

    private ShutdownHook(List<AutoCloseable> parts) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                for (AutoCloseable p : parts) {
                    try {
                        p.close();
                    } catch (Exception e) {
                        log.warn("{} did not close cleanly: {}", p.getClass().getSimpleName(), e.toString());
                    }
                }
            } finally {
                stopped.countDown();
            }
        }, "shutdown"));
    }

    /** Registers the hook now (before the parts start: a stop during the start closes what started). */
    public static ShutdownHook closing(AutoCloseable... parts) {
        return new ShutdownHook(List.of(parts));
    }

    /** Until the hook has closed every part. */
    public void await() throws InterruptedException {
        stopped.await();
    }
}
