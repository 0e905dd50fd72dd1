package io.kvrelay.ingest.config;

/**
 * How the bridge scrapes each pod's Prometheus metrics for its load (pods with a {@code servingPort} only). Scrapes
 * run at {@code statusIntervalMs}, so the defaults follow it; a value left at 0 (or absent) takes its default.
 *
 * @param timeoutMs    a scrape that has not finished (connect, headers and body) within this is abandoned and
 *                     counted as failed; at most {@code statusIntervalMs}, default the smaller of 1000 and it
 * @param staleAfterMs the last good values are reported for at most this long after they were scraped, then the
 *                     load is reported unknown (null) until a scrape succeeds again; at least
 *                     {@code statusIntervalMs + timeoutMs}, default 3 x {@code statusIntervalMs}
 */
public record PodMetricsConfig(int timeoutMs, int staleAfterMs) {
    public PodMetricsConfig {
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("podMetrics.timeoutMs must be > 0 (0 = default), got " + timeoutMs);
        }
        if (staleAfterMs < 0) {
            throw new IllegalArgumentException("podMetrics.staleAfterMs must be > 0 (0 = default), got "
                    + staleAfterMs);
        }
    }

    public static PodMetricsConfig defaults() {
        return new PodMetricsConfig(0, 0);
    }

    /** Fills the defaults from the status interval and checks the settings against it. */
    PodMetricsConfig resolve(int statusIntervalMs) {
        int timeout = timeoutMs == 0 ? Math.min(1_000, statusIntervalMs) : timeoutMs;
        int stale = staleAfterMs == 0 ? (int) Math.min(Integer.MAX_VALUE, 3L * statusIntervalMs) : staleAfterMs;
        if (timeout > statusIntervalMs) {
            throw new IllegalArgumentException("podMetrics.timeoutMs (" + timeout + ") must be <= statusIntervalMs ("
                    + statusIntervalMs + "): a pod's scrape must end before its next one starts");
        }
        if (stale < (long) statusIntervalMs + timeout) {
            throw new IllegalArgumentException("podMetrics.staleAfterMs (" + stale + ") must be >= statusIntervalMs"
                    + " + podMetrics.timeoutMs (" + ((long) statusIntervalMs + timeout) + "), or a healthy pod's load"
                    + " would go unknown between two scrapes");
        }
        return new PodMetricsConfig(timeout, stale);
    }
}
