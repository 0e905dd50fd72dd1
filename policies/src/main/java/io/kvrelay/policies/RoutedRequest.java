package io.kvrelay.policies;

/**
 * What a routing policy may know of a request, whether generated (bench-routing's {@code BenchRequest}) or recorded
 * from the route-decisions topic (the replay's counterfactual).
 */
public interface RoutedRequest {
    /** The service the request is for; each service's pods are routed on their own. */
    String service();

    /** The user, or null when unknown (a recorded decision without one): no sticky link is read or written then. */
    String userId();

    /** Full blocks of the prompt: the denominator of the hit rate. */
    int promptBlocks();

    /**
     * The key of the prompt's first block ({@code BlockKeys.chain(...)[0]}), or {@code BlockKeys.NO_KEY} without a
     * full block: router-api's tie-break key, so equal-cost pods are split the way the router splits them.
     */
    long firstBlockKey();

    /** When the request arrives, in ms on the run's clock (a bench run's or the log's): sticky links age by it. */
    double timeMs();
}
