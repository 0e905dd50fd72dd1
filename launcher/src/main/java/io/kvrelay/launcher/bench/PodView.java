package io.kvrelay.launcher.bench;

/** What an in-process policy may know about one candidate pod at the instant of its decision. */
public interface PodView {
    String name();

    /** Requests on this pod that arrived and have not finished (see {@link ServiceModel}). */
    int inFlight();

    /** Leading blocks of this request's prompt the pod's cache holds right now (the simulator's ground truth). */
    int cachedPrefixBlocks(BenchRequest request);
}
