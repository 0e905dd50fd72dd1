package io.kvrelay.ingest.status;

import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod's metrics endpoint and what its scrapes found: the last good load with its time, and whether the pod is
 * currently failing. Logs only on changes (failing / recovered, a different set of missing metrics, malformed lines
 * appearing), so a pod that stays down costs one line, not one per interval.
 *
 * <p>Thread-safe: at most one scrape per target is in flight ({@link #tryBegin}); outcomes are recorded under the
 * target's lock and the load is read without it.
 */
final class ScrapeTarget {
    private static final Logger log = LoggerFactory.getLogger(ScrapeTarget.class);

    private final String podId;
    private final URI uri;
    /** When scraping began: a pod that never answered has had no known load since then. */
    private final long sinceNanos;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile Sample last;
    private ScrapeFailure failing;
    private long failuresInRow;
    private List<String> missing = List.of();
    private boolean malformed;

    private record Sample(PodLoad load, long atNanos) {
    }

    ScrapeTarget(String podId, URI uri, long nowNanos) {
        this.podId = podId;
        this.uri = uri;
        this.sinceNanos = nowNanos;
    }

    URI uri() {
        return uri;
    }

    /** Claims the next scrape; false while the previous one is still running. */
    boolean tryBegin() {
        return inFlight.compareAndSet(false, true);
    }

    /** Ends the claimed scrape; the next {@link #tryBegin} succeeds. */
    void end() {
        inFlight.set(false);
    }

    /** The last good load if it was scraped within {@code staleAfterNanos} of {@code nowNanos}, else unknown. */
    PodLoad load(long nowNanos, long staleAfterNanos) {
        Sample s = last;
        return s == null || nowNanos - s.atNanos() > staleAfterNanos ? PodLoad.UNKNOWN : s.load();
    }

    /**
     * For how long the load has been unknown at {@code nowNanos} (0 when it is known): since scraping began when no
     * scrape ever succeeded, else since the last good values went stale. The same staleness rule as {@link #load}, so
     * the two never disagree.
     */
    long unknownForNanos(long nowNanos, long staleAfterNanos) {
        Sample s = last;
        if (s == null) {
            return Math.max(1, nowNanos - sinceNanos);
        }
        return nowNanos - s.atNanos() > staleAfterNanos ? nowNanos - s.atNanos() - staleAfterNanos : 0;
    }

    synchronized void succeeded(VllmLoadParser.Result result, long nowNanos) {
        last = new Sample(result.load(), nowNanos);
        if (failing != null) {
            log.info("pod {}: metrics at {} answer again, after {} failed scrape(s)", podId, uri, failuresInRow);
            failing = null;
        }
        failuresInRow = 0;
        if (!result.missing().equals(missing)) {
            if (result.missing().isEmpty()) {
                log.info("pod {}: metrics at {} give every load field again", podId, uri);
            } else {
                log.warn("pod {}: metrics at {} have no usable {} (absent, NaN or out of range): reported as unknown",
                        podId, uri, String.join(", ", result.missing()));
            }
            missing = result.missing();
        }
        if ((result.malformedLines() > 0) != malformed) {
            malformed = result.malformedLines() > 0;
            if (malformed) {
                log.warn("pod {}: metrics at {} have {} line(s) that are not Prometheus text, skipped; first: {}",
                        podId, uri, result.malformedLines(), result.firstMalformedLine());
            }
        }
    }

    synchronized void failed(ScrapeFailure reason, String detail) {
        failuresInRow++;
        if (failing == null) {
            log.warn("pod {}: cannot scrape metrics at {} ({}: {}); load reported as unknown once the last good values"
                    + " are stale", podId, uri, reason.tag(), detail);
        } else if (failing != reason) {
            // A pod flapping between two failures must not log at every interval; the counter has the detail.
            log.debug("pod {}: metrics at {} now fail with {}: {}", podId, uri, reason.tag(), detail);
        }
        failing = reason;
    }
}
