package io.kvrelay.policies;

/**
 * What an in-process policy may know about one candidate pod at the instant of its decision.
 *
 * @param <R> the requests whose cached prefix the pod can tell
 */
public interface PodView<R> {
    String name();

    /** Requests on this pod that arrived and have not finished (see {@link ServiceModel}). */
    int inFlight();

    /** Of {@link #inFlight()}, those whose prefill has not started yet (queued behind the pod's prefill slot). */
    int waiting();

    /**
     * How long (ms) a request arriving now would wait for the pod's prefill slot: until the prefills already admitted
     * to it end (see {@link ServiceModel}); 0 when the slot is free.
     */
    double prefillQueueMs();

    /** Share of the cache (0..1) the blocks of the requests in flight take, vLLM's KV usage; null if unknown. */
    Double kvCacheUsage();

    /** Leading blocks of this request's prompt the pod's cache holds right now (the simulator's ground truth). */
    int cachedPrefixBlocks(R request);
}
