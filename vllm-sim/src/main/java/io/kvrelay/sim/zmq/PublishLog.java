package io.kvrelay.sim.zmq;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A bounded record of the batches one worker published, oldest first. When full the oldest record is dropped and
 * counted, so a test that needs the whole history sizes the limit for its workload; benchmarks leave it off.
 * Appended by the publishing thread, read by any thread.
 */
public final class PublishLog {
    private final int limit;
    private final ArrayDeque<PublishedBatch> records = new ArrayDeque<>();
    private long appended;
    private long evicted;

    public PublishLog(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("publish log limit must be > 0, got " + limit);
        }
        this.limit = limit;
    }

    synchronized void add(PublishedBatch batch) {
        if (records.size() == limit) {
            records.removeFirst();
            evicted++;
        }
        records.addLast(batch);
        appended++;
    }

    /** A copy of the retained records, oldest first. */
    public synchronized List<PublishedBatch> snapshot() {
        return new ArrayList<>(records);
    }

    /** Records of one epoch, oldest first. */
    public synchronized List<PublishedBatch> epoch(int epoch) {
        return records.stream().filter(b -> b.epoch() == epoch).toList();
    }

    /** How many batches were ever appended, including those evicted from the log. */
    public synchronized long appended() {
        return appended;
    }

    /** How many records were dropped because the log was full; 0 means {@link #snapshot()} is the whole history. */
    public synchronized long evicted() {
        return evicted;
    }

    public synchronized void clear() {
        records.clear();
        appended = 0;
        evicted = 0;
    }

    public int limit() {
        return limit;
    }
}
