package io.kvrelay.router.scoring;

/**
 * What the router knows of the work it (and its sibling replicas) has just sent to pods, which the pods' own load
 * reports do not show yet: those arrive through a scrape, the bridge, Kafka and stream-app, a second or two late, and
 * a burst of decisions that all saw the same "idle" pod would otherwise all go to it.
 */
public interface InFlight {
    /** Prefill work (ms) queued on the pod ahead of a request arriving now, by the router's own count; 0 if none. */
    double queuedMs(String pod);

    /** Requests sent to the pod recently enough that its reported running and waiting figures may not include them. */
    int unreported(String pod);

    /** Mean predicted prefill time (ms) of the requests recently sent to the pod; NaN when there were none. */
    double meanPrefillMs(String pod);

    /**
     * Requests this router is serving on the pod right now (proxied by its front door, not finished): an exact
     * count of the pod's running and waiting requests that came this way, where the pod's reports lag.
     */
    default int open(String pod) {
        return 0;
    }

    /** Knows nothing: the pods' reports alone. */
    InFlight NONE = new InFlight() {
        @Override
        public double queuedMs(String pod) {
            return 0;
        }

        @Override
        public int unreported(String pod) {
            return 0;
        }

        @Override
        public double meanPrefillMs(String pod) {
            return Double.NaN;
        }
    };
}
