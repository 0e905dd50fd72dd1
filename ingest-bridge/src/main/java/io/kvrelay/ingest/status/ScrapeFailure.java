package io.kvrelay.ingest.status;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Why a pod's metrics scrape failed; the tag of {@code kvrelay_bridge_pod_metrics_failures_total}. */
enum ScrapeFailure {
    /** Connection refused, unresolvable host, or no connection within the timeout. */
    UNREACHABLE,
    /** Connected, but the whole response did not arrive within the timeout. */
    TIMEOUT,
    /** An answer other than 200. */
    HTTP_STATUS,
    /** A body larger than the bridge accepts. */
    TOO_LARGE,
    /** Anything else on the way (connection reset, protocol error). */
    IO;

    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static ScrapeFailure classify(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof BoundedBodySubscriber.BodyTooLargeException) {
            return TOO_LARGE;
        }
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException
                || e instanceof UnresolvedAddressException || e.getCause() instanceof UnresolvedAddressException) {
            return UNREACHABLE;
        }
        if (e instanceof HttpTimeoutException || e instanceof TimeoutException) {
            return TIMEOUT;
        }
        return IO;
    }
}
