package io.kvrelay.stream.replay;

import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.WorkerBlockCodec;
import io.kvrelay.stream.topology.EventApplier;
import io.kvrelay.stream.topology.WorkerKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.internals.InMemoryKeyValueStore;

/**
 * Every worker's cache state rebuilt from the event log outside Kafka Streams, for analytics replay: the same
 * {@link EventApplier} the stream processor runs (so the event semantics have one implementation), over a prefix
 * index and an in-memory worker-blocks store of its own. Feed it the records of the event log in partition order; at
 * any point {@link #index()} is what stream-app's index would hold after the same records. Single-threaded.
 */
public final class ReplayState {
    /**
     * Told when a worker's block entry comes into being and when it is gone (all tiers), as the applier changes the
     * worker-blocks store: the entry's lifetime without a second reading of the events. The key is the store key
     * (worker prefix + engine hash).
     */
    public interface BlockLifecycle {
        void appeared(Bytes entry);

        void disappeared(Bytes entry);

        BlockLifecycle NONE = new BlockLifecycle() {
            @Override
            public void appeared(Bytes entry) {
            }

            @Override
            public void disappeared(Bytes entry) {
            }
        };
    }

    private final PrefixIndex index = new PrefixIndex();
    private final EventApplier applier;
    private final StreamMetrics metrics;
    private static final int[] NO_WORKERS = new int[0];
    private final Map<String, int[]> workersOfPod = new HashMap<>();
    private final Map<String, int[]> workersOfService = new HashMap<>();
    private int workersSeen;
    private long batches;

    public ReplayState(MeterRegistry registry) {
        this(registry, BlockLifecycle.NONE);
    }

    public ReplayState(MeterRegistry registry, BlockLifecycle lifecycle) {
        // Kafka Streams' own in-memory store: put/get/delete/prefixScan need no processor context.
        this.metrics = new StreamMetrics(registry);
        this.applier = new EventApplier(index, new ObservedStore(lifecycle), metrics);
    }

    public void apply(KvEventBatch batch) {
        applier.apply(batch);
        batches++;
    }

    public PrefixIndex index() {
        return index;
    }

    /**
     * Blocks the log removed that this state never saw stored, so far: stored before the replay's window (or lost).
     */
    public long unknownRemovedBlocks() {
        return (long) metrics.unknownRemoved.count();
    }

    /** Stored blocks skipped so far because their parent was never seen: a prompt that began before the window. */
    public long unknownParentBlocks() {
        return (long) metrics.unknownParentBlocks.count();
    }

    public long batches() {
        return batches;
    }

    /**
     * The leading blocks of {@code keys} that pod {@code podId} ({@code namespace/service/pod}) holds, over its DP
     * ranks (the longest), as stream-app's prefix match reports it.
     */
    public int matchedPrefix(String podId, long[] keys) {
        int[] ids = workersOf(podId);
        if (ids.length == 0 || keys.length == 0) {
            return 0;
        }
        int[] matched = new int[ids.length];
        index.match(keys, keys.length, ids, ids.length, matched, new int[ids.length]);
        int best = 0;
        for (int m : matched) {
            best = Math.max(best, m);
        }
        return best;
    }

    /** Blocks pod {@code podId} holds now, over its DP ranks. */
    public long blocksHeld(String podId) {
        long n = 0;
        for (int id : workersOf(podId)) {
            n += index.blockCount(id);
        }
        return n;
    }

    /** The index's ids of the workers of pod {@code podId} ({@code namespace/service/pod}). */
    public int[] workersOf(String podId) {
        regroup();
        return workersOfPod.getOrDefault(podId, NO_WORKERS);
    }

    /** The index's ids of every worker of a service ({@code namespace/service}). */
    public int[] workersOfService(String service) {
        regroup();
        return workersOfService.getOrDefault(service, NO_WORKERS);
    }

    private void regroup() {
        int count = index.workerCount();
        if (count == workersSeen) {
            return; // only a new worker changes the grouping (rare): a worker's pod never changes
        }
        // Every id, not index.workers(): that lists only workers holding blocks, and one that is empty now (cleared,
        // or its first batch a removal) must still be found once it stores again.
        Map<String, List<Integer>> byPod = new HashMap<>();
        Map<String, List<Integer>> byService = new HashMap<>();
        for (int id = 0; id < count; id++) {
            String pod = WorkerKeys.podOf(index.workerKey(id));
            byPod.computeIfAbsent(pod, k -> new ArrayList<>()).add(id);
            byService.computeIfAbsent(pod.substring(0, pod.lastIndexOf('/')), k -> new ArrayList<>()).add(id);
        }
        workersOfPod.clear();
        workersOfService.clear();
        byPod.forEach((pod, ids) -> workersOfPod.put(pod, ids.stream().mapToInt(Integer::intValue).toArray()));
        byService.forEach((svc, ids) -> workersOfService.put(svc, ids.stream().mapToInt(Integer::intValue).toArray()));
        workersSeen = count;
    }

    /**
     * The worker-blocks store, reporting entries that appear and disappear as cache entries: an entry counts while it
     * has a local tier; one marked only REMOTE (kept for chaining) is not in the worker's cache.
     */
    private static final class ObservedStore extends InMemoryKeyValueStore {
        private final BlockLifecycle lifecycle;

        ObservedStore(BlockLifecycle lifecycle) {
            super("replay-worker-blocks");
            this.lifecycle = lifecycle;
        }

        @Override
        public synchronized void put(Bytes key, byte[] value) {
            boolean was = held(get(key));
            super.put(key, value);
            boolean is = held(value);
            if (is && !was) {
                lifecycle.appeared(key);
            } else if (was && !is) {
                lifecycle.disappeared(key);
            }
        }

        @Override
        public synchronized byte[] delete(Bytes key) {
            byte[] old = super.delete(key);
            if (held(old)) {
                lifecycle.disappeared(key);
            }
            return old;
        }

        private static boolean held(byte[] value) {
            return value != null && (WorkerBlockCodec.tiersOf(value) & Tier.ALL) != 0;
        }
    }
}
