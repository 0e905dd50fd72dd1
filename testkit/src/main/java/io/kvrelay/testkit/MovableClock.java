package io.kvrelay.testkit;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A UTC clock that stands still until a test moves it: time-based rules tested without sleeping. Thread-safe. */
public final class MovableClock extends Clock {
    private final AtomicLong nowMs;

    public MovableClock(long startMs) {
        this.nowMs = new AtomicLong(startMs);
    }

    /** Moves the clock on by {@code ms} and returns the new time. */
    public long advance(long ms) {
        return nowMs.addAndGet(ms);
    }

    @Override
    public long millis() {
        return nowMs.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(nowMs.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
