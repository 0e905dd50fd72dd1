package io.kvrelay.router.state;

/**
 * What the router knows of one pod, from stream-app's pod state. Load fields are null when unknown.
 *
 * @param alive    the bridge saw it within the heartbeat TTL, or it is stale
 * @param routable alive and not drained (nor silent for too long): may receive new requests and new users
 * @param draining drained by an operator (it may still be alive, serving its current users' in-flight work)
 * @param stale    routed on its last known state: its bridge's reports stopped arriving as a whole (stream-app's
 *                 rule), or this router could not refresh its state from stream-app for a while
 * @param suspect  its metrics have not answered for a while (it may be hung): scored at the highest load another
 *                 candidate reports, and not routable once that lasts too long
 */
public record PodInfo(String namespace, String service, String pod, Integer podIndex, String address,
                      boolean alive, boolean routable, boolean draining, Integer running, Integer waiting,
                      Double kvCacheUsage, Integer blockSize, long blocksHeld, boolean stale, boolean suspect) {

    /** A pod on fresh state, not suspect (for callers that know nothing of either: tests, benchmarks, replay). */
    public PodInfo(String namespace, String service, String pod, Integer podIndex, String address, boolean alive,
                   boolean routable, boolean draining, Integer running, Integer waiting, Double kvCacheUsage,
                   Integer blockSize, long blocksHeld) {
        this(namespace, service, pod, podIndex, address, alive, routable, draining, running, waiting, kvCacheUsage,
                blockSize, blocksHeld, false, false);
    }

    public String id() {
        return namespace + "/" + service + "/" + pod;
    }

    /** This pod with other load figures, every flag kept. */
    public PodInfo withLoad(Integer running, Integer waiting, Double kvCacheUsage) {
        return new PodInfo(namespace, service, pod, podIndex, address, alive, routable, draining, running, waiting,
                kvCacheUsage, blockSize, blocksHeld, stale, suspect);
    }

    /** This pod as known from state that is itself stale. */
    public PodInfo asStale() {
        return stale ? this : new PodInfo(namespace, service, pod, podIndex, address, alive, routable, draining,
                running, waiting, kvCacheUsage, blockSize, blocksHeld, true, suspect);
    }
}
