package io.kvrelay.ingest.zmq;

/**
 * What one worker's subscriber knows about its publisher, for pod status and the admin API.
 * Written by the subscriber thread, read by others.
 */
public final class WorkerStats {
    private volatile boolean connected;
    private volatile long lastSequence = -1;
    private volatile long lastMessageAtMicros = -1;
    private volatile long batches;
    private volatile long resets;
    private volatile long deadLettered;
    private volatile long replayRequests;

    void connected(boolean c) {
        connected = c;
    }

    void message(long nowMicros) {
        lastMessageAtMicros = nowMicros;
    }

    void delivered(long seq) {
        lastSequence = seq;
        batches++; // single writer: the subscriber thread
    }

    /** A message accounted for in the dead-letter topic: its sequence is passed, but it is not a delivered batch. */
    void deadLettered(long seq) {
        lastSequence = seq;
        deadLettered++;
    }

    /** The position recovered from Kafka after a bridge restart (not a delivery of this process). */
    void resumed(long seq) {
        lastSequence = seq;
    }

    void replayRequested() {
        replayRequests++;
    }

    void reset() {
        resets++;
    }

    /** The ZeroMQ connection to the publisher is up (from the socket monitor). */
    public boolean connected() {
        return connected;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public long lastMessageAtMicros() {
        return lastMessageAtMicros;
    }

    public long batches() {
        return batches;
    }

    public long resets() {
        return resets;
    }

    public long deadLettered() {
        return deadLettered;
    }

    public long replayRequests() {
        return replayRequests;
    }
}
