package io.kvrelay.launcher.replay;

/**
 * When the replay samples the rebuilt state, in the log's own time: at every multiple of the interval that the
 * records' timestamps pass (before applying the record that passes it, so a sample at T has seen exactly the records
 * stamped before T), and once at the window's end, just after its last record. Each sample says how long an interval
 * it closes, for rates. Not thread-safe.
 */
final class SampleClock {
    /** Takes one sample: the state at {@code atMs}, closing an interval of {@code seconds}. */
    interface Sampler {
        void sample(long atMs, double seconds);
    }

    private final long everyMs;
    private long next = Long.MIN_VALUE;
    private long last;
    private long latest = Long.MIN_VALUE;

    SampleClock(long everyMs) {
        if (everyMs <= 0) {
            throw new IllegalArgumentException("the sample interval must be > 0 ms, got " + everyMs);
        }
        this.everyMs = everyMs;
    }

    /** Before the record stamped {@code ts} is applied. */
    void before(long ts, Sampler sampler) {
        if (ts < 0) {
            return; // no timestamp (Kafka's -1): the record falls in the current interval
        }
        if (next == Long.MIN_VALUE) {
            last = floor(ts); // intervals on round multiples, so the first one is as long as the others
            next = last + everyMs;
        }
        if (ts >= next) {
            take(next, sampler);
            if (ts >= next) {
                // An idle stretch, or a clock far ahead: one sample where it ends, not one per interval in between
                // (a record stamped years ahead would otherwise mean millions of samples).
                take(floor(ts), sampler);
            }
        }
        latest = Math.max(latest, ts);
    }

    /** At the window's end: the state just after its last record, over the part of the interval that ran. */
    void end(Sampler sampler) {
        if (next != Long.MIN_VALUE) {
            take(Math.min(next, latest + 1), sampler);
        }
    }

    private void take(long at, Sampler sampler) {
        sampler.sample(at, (at - last) / 1000.0);
        last = at;
        next = at + everyMs - Math.floorMod(at, everyMs);
    }

    private long floor(long ts) {
        return ts - Math.floorMod(ts, everyMs);
    }
}
