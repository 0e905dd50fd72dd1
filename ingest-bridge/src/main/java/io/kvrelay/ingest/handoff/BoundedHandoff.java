package io.kvrelay.ingest.handoff;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The hand-over point between the ZeroMQ subscriber threads (many producers) and the Kafka publisher loop (one
 * consumer). Bounded: when it is full, {@link #put} blocks, so a slow or absent Kafka stops the bridge from reading
 * its sockets instead of growing memory. The publisher thread's failure is carried across: once
 * {@link #fail(Throwable)} was called, {@link #put} throws it, so subscriber threads stop instead of waiting forever.
 *
 * <p>Thread-safe.
 */
public final class BoundedHandoff<T> {
    private static final long WAIT_SLICE_MS = 100;

    private final BlockingQueue<T> queue;
    private final int capacity;
    private volatile Throwable consumerFailure;

    public BoundedHandoff(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * Waits for room, in slices, while {@code keepWaiting} is true.
     *
     * @return true if handed over; false if {@code keepWaiting} turned false first (shutting down)
     * @throws HandoffFailedException if the consumer has failed
     */
    public boolean put(T item, BooleanSupplier keepWaiting) throws InterruptedException {
        while (true) {
            checkConsumer();
            if (queue.offer(item, WAIT_SLICE_MS, TimeUnit.MILLISECONDS)) {
                return true;
            }
            if (!keepWaiting.getAsBoolean()) {
                return false;
            }
        }
    }

    /** Hands over without waiting; false when full (for periodic data that the next period replaces). */
    public boolean offer(T item) {
        checkConsumer();
        return queue.offer(item);
    }

    /** Takes up to {@code max} items, waiting at most {@code timeoutMs} for the first. */
    public int drainTo(List<? super T> sink, int max, long timeoutMs) throws InterruptedException {
        T first = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (first == null) {
            return 0;
        }
        sink.add(first);
        return 1 + queue.drainTo(sink, max - 1);
    }

    public void fail(Throwable cause) {
        consumerFailure = cause;
    }

    public int depth() {
        return queue.size();
    }

    public int capacity() {
        return capacity;
    }

    private void checkConsumer() {
        Throwable f = consumerFailure;
        if (f != null) {
            throw new HandoffFailedException(f);
        }
    }

    /** The consumer side stopped for good; nothing handed over now would ever be written. */
    public static final class HandoffFailedException extends RuntimeException {
        HandoffFailedException(Throwable cause) {
            super("the Kafka publisher stopped: " + cause.getMessage(), cause);
        }
    }
}
