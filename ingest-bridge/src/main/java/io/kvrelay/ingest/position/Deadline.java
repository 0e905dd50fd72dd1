package io.kvrelay.ingest.position;

import java.util.function.LongSupplier;

/** The end of a time bound, on a nanosecond clock (tests pass their own). */
record Deadline(long atNanos, LongSupplier clock) {

    static Deadline after(long millis, LongSupplier clock) {
        return new Deadline(clock.getAsLong() + millis * 1_000_000L, clock);
    }

    boolean passed() {
        return clock.getAsLong() - atNanos >= 0;
    }
}
