package io.kvrelay.launcher.replay;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * How long blocks stayed in a service's caches: from the event that stored a block on a worker to the event that
 * removed it (eviction, clear, reset), in event time. Blocks still held at the window's end have no lifetime yet and
 * are counted here; blocks stored before the window are counted by the service ({@code removedUnseen}).
 * HdrHistogram keeps percentiles within 0.1%.
 */
final class BlockLifetimes {
    /** Bucket upper bounds for the chart and CSV, in ms; the last bucket is open. */
    static final long[] BOUNDS_MS = {100, 1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
        21_600_000};

    private final Histogram histogram = new Histogram(3);
    private final long[] buckets = new long[BOUNDS_MS.length + 1];
    private long stillHeld;

    void ended(long lifetimeMs) {
        long ms = Math.max(0, lifetimeMs);
        histogram.recordValue(ms);
        int i = 0;
        while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]) {
            i++;
        }
        buckets[i]++;
    }

    void stillHeld(long n) {
        stillHeld += n;
    }

    /** One bucket: lifetimes in (previous bound, upToMs]; upToMs null = above the last bound. */
    record Bucket(Long upToMs, long count) {
    }

    /** The JSON view; percentiles are null when no block ended in the window. */
    record Summary(long ended, long stillHeld, Double p50Ms, Double p90Ms, Double p99Ms, Double maxMs,
                   List<Bucket> buckets) {
    }

    Summary summary() {
        List<Bucket> out = new ArrayList<>();
        for (int i = 0; i < buckets.length; i++) {
            out.add(new Bucket(i < BOUNDS_MS.length ? BOUNDS_MS[i] : null, buckets[i]));
        }
        long n = histogram.getTotalCount();
        return new Summary(n, stillHeld, n == 0 ? null : (double) histogram.getValueAtPercentile(50),
                n == 0 ? null : (double) histogram.getValueAtPercentile(90),
                n == 0 ? null : (double) histogram.getValueAtPercentile(99),
                n == 0 ? null : (double) histogram.getMaxValue(), out);
    }
}
