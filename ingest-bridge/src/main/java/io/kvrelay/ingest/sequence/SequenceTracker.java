package io.kvrelay.ingest.sequence;

/**
 * Decides, for one worker, what each arriving sequence number means. Pure logic, no I/O.
 *
 * <p>Two positions are kept: the last sequence delivered downstream (live or replayed) and the last sequence seen on
 * the live PUB stream. The live stream of one publisher only moves forward, so a live sequence at or below the last
 * live one means the publisher restarted (vLLM's counter starts at 0 per process). A live sequence above the last
 * live one but at or below the last delivered one was already delivered through replay: a duplicate.
 *
 * <p>Single-threaded: owned by the worker's subscriber thread.
 */
public final class SequenceTracker {
    /** No sequence yet. */
    public static final long NONE = -1;

    public enum Verdict {
        /** The next expected sequence: deliver it. */
        DELIVER,
        /** Already delivered (through replay): drop it. */
        DUPLICATE,
        /** Sequences between the last delivered and this one are missing: replay from {@link #nextExpected()}. */
        GAP,
        /** The publisher restarted: reset the worker, then treat this as the first sequence of a new stream. */
        RESTART
    }

    private long lastDelivered = NONE;
    private long lastLive = NONE;

    /** Classifies a sequence read from the live PUB socket and records it as seen live. */
    public Verdict onLive(long seq) {
        if (lastLive != NONE && Long.compareUnsigned(seq, lastLive) <= 0) {
            return Verdict.RESTART;
        }
        lastLive = seq;
        return classify(seq);
    }

    /** Classifies a sequence read from a replay reply (does not move the live position). */
    public Verdict onReplayed(long seq) {
        return classify(seq);
    }

    private Verdict classify(long seq) {
        long expected = nextExpected();
        if (seq == expected) {
            return Verdict.DELIVER;
        }
        return Long.compareUnsigned(seq, expected) < 0 ? Verdict.DUPLICATE : Verdict.GAP;
    }

    /** Marks a sequence as delivered (or dead-lettered: accounted for either way). */
    public void delivered(long seq) {
        lastDelivered = seq;
    }

    /** Forgets everything: the next sequence starts a new stream (after a restart or a pod removal). */
    public void reset() {
        lastDelivered = NONE;
        lastLive = NONE;
    }

    /** Marks the live sequence that triggered a restart as seen, after {@link #reset()}. */
    public void restartedAt(long seq) {
        reset();
        lastLive = seq;
    }

    /** The sequence that would be delivered next: 0 on a new stream, since vLLM counts from 0. */
    public long nextExpected() {
        return lastDelivered + 1;
    }

    public long lastDelivered() {
        return lastDelivered;
    }
}
