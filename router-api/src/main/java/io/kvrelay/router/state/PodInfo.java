package io.kvrelay.router.state;

/**
 * What the router knows of one pod, from stream-app's pod state. Load fields are null when unknown.
 *
 * @param alive    the bridge saw it within the heartbeat TTL
 * @param routable alive and not drained: may receive new requests and new users
 * @param draining drained by an operator (it may still be alive, serving its current users' in-flight work)
 */
public record PodInfo(String namespace, String service, String pod, Integer podIndex, String address,
                      boolean alive, boolean routable, boolean draining, Integer running, Integer waiting,
                      Double kvCacheUsage, Integer blockSize, long blocksHeld) {

    public String id() {
        return namespace + "/" + service + "/" + pod;
    }
}
