package io.kvrelay.stream.store;

/** Names of stream-app's state stores (and so of their changelog topics). */
public final class StoreNames {
    /** Per worker, engine hash → (block key, tiers): the durable truth, changelogged; the prefix index is rebuilt from it. */
    public static final String WORKER_BLOCKS = "worker-blocks";
    /** The in-memory prefix index (block key → workers), a projection of {@link #WORKER_BLOCKS}. */
    public static final String PREFIX_INDEX = "prefix-index";
    /** Per pod id, a {@code PodStateEntry}, changelogged. */
    public static final String POD_STATE = "pod-state";

    private StoreNames() {
    }
}
