package io.kvrelay.stream.query;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStateEntry;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.store.IndexShards;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.topology.WorkerKeys;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Queries over the stores of this instance only (the partitions whose tasks run here). Plain Java, no HTTP; thread-safe
 * (the stores are). {@link ClusterQueries} merges the answers of every instance.
 */
public final class LocalQueries implements PrefixMatchQuery {
    private final Supplier<IndexShards> indexes;
    private final Supplier<ReadOnlyKeyValueStore<String, byte[]>> podStates;
    private final Clock clock;
    private final PodLiveness liveness;
    private final ThreadLocal<AvroCodec<PodStateEntry>> codec = ThreadLocal.withInitial(AvroCodec::podStates);
    private final AtomicLong generation = new AtomicLong();
    private volatile CachedShards cachedShards;
    private volatile ScannedSources scannedSources;

    public LocalQueries(Supplier<IndexShards> indexes, Supplier<ReadOnlyKeyValueStore<String, byte[]>> podStates,
                        Clock clock, PodLiveness liveness) {
        this.indexes = indexes;
        this.podStates = podStates;
        this.clock = clock;
        this.liveness = liveness;
    }

    @Override
    public QueryOutcome<PrefixMatch> prefixMatch(PrefixMatchRequest req) {
        List<PrefixIndexStore> shards;
        try {
            shards = readyShards();
        } catch (InvalidStateStoreException | IllegalStateException e) {
            return QueryOutcome.unavailable("stores are migrating or restoring: " + e.getMessage());
        }
        if (shards == null) {
            return QueryOutcome.unavailable("a prefix index is still being rebuilt after a restore");
        }
        String prefix = WorkerKeys.servicePrefix(req.namespace(), req.service());
        Set<String> pods = req.pods().isEmpty() ? null : new HashSet<>(req.pods());
        List<PrefixMatch.WorkerMatch> out = new ArrayList<>();
        List<Integer> partitions = new ArrayList<>();
        for (PrefixIndexStore shard : shards) {
            partitions.add(shard.partition());
            PrefixIndex index = shard.index();
            List<String> workers = new ArrayList<>();
            for (String w : index.workers()) {
                if (w.startsWith(prefix) && (pods == null || pods.contains(podName(w, prefix)))) {
                    workers.add(w);
                }
            }
            if (workers.isEmpty()) {
                continue;
            }
            int[] ids = new int[workers.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = index.findWorker(workers.get(i));
            }
            int[] matched = new int[ids.length];
            int[] gpu = new int[ids.length];
            int[] memory = new int[ids.length];
            index.match(req.keys(), req.keys().length, ids, ids.length, matched, gpu, memory);
            for (int i = 0; i < ids.length; i++) {
                if (matched[i] > 0) {
                    String w = workers.get(i);
                    out.add(new PrefixMatch.WorkerMatch(podName(w, prefix), WorkerKeys.rankOf(w), matched[i], gpu[i],
                            memory[i]));
                }
            }
        }
        out.sort(BY_MATCH);
        partitions.sort(Comparator.naturalOrder());
        return QueryOutcome.found(new PrefixMatch(req.keys().length, out, partitions));
    }

    static final Comparator<PrefixMatch.WorkerMatch> BY_MATCH = Comparator
            .comparingInt(PrefixMatch.WorkerMatch::matched).reversed()
            .thenComparing(PrefixMatch.WorkerMatch::pod).thenComparingInt(PrefixMatch.WorkerMatch::dpRank);

    /** Pods of a service held by this instance; the partitions answered are returned alongside. */
    public QueryOutcome<PodList> pods(String namespace, String service) {
        try {
            List<PrefixIndexStore> shards = readyShards();
            if (shards == null) {
                return QueryOutcome.unavailable("a prefix index is still being rebuilt after a restore");
            }
            String prefix = namespace + "/" + service + "/";
            List<PodView> out = new ArrayList<>();
            SourceHeartbeats sources = sources();
            try (KeyValueIterator<String, byte[]> it = podStates.get().prefixScan(prefix, new StringSerializer())) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    out.add(view(decode(kv.value), shards, sources));
                }
            }
            out.sort(Comparator.comparing(PodView::pod));
            List<Integer> partitions = new ArrayList<>();
            shards.forEach(s -> partitions.add(s.partition()));
            partitions.sort(Comparator.naturalOrder());
            return QueryOutcome.found(new PodList(out, partitions, sources));
        } catch (InvalidStateStoreException | IllegalStateException e) {
            return QueryOutcome.unavailable("stores are migrating or restoring: " + e.getMessage());
        }
    }

    public QueryOutcome<PodView> pod(String namespace, String service, String pod) {
        try {
            List<PrefixIndexStore> shards = readyShards();
            if (shards == null) {
                return QueryOutcome.unavailable("a prefix index is still being rebuilt after a restore");
            }
            byte[] raw = podStates.get().get(namespace + "/" + service + "/" + pod);
            if (raw == null) {
                return new QueryOutcome.NotFound<>("no pod " + namespace + "/" + service + "/" + pod);
            }
            // Judged on this instance's evidence only: the bridge's pods on other instances' partitions are not seen
            // here (a service listing, ClusterQueries.pods, judges on every instance's).
            return QueryOutcome.found(view(decode(raw), shards, sources()));
        } catch (InvalidStateStoreException | IllegalStateException e) {
            return QueryOutcome.unavailable("stores are migrating or restoring: " + e.getMessage());
        }
    }

    /**
     * Pods, the partitions they were read from, and the bridges' freshest reports over every pod of those partitions
     * (the evidence of their flags).
     */
    public record PodList(List<PodView> pods, List<Integer> partitions, SourceHeartbeats sources) {
        public PodList {
            sources = sources == null ? SourceHeartbeats.NONE : sources;
        }
    }

    /**
     * Decides the flags of pods gathered from several instances again, on the evidence of all of them: a bridge whose
     * pods are spread over instances is silent only if none of them has heard it.
     */
    public List<PodView> judgeAgain(List<PodView> pods, SourceHeartbeats sources) {
        long now = clock.millis();
        List<PodView> out = new ArrayList<>(pods.size());
        for (PodView p : pods) {
            out.add(p.judged(liveness.judge(p.evidence(), sources, now)));
        }
        return out;
    }

    /**
     * Every local pod's bridge and last report, folded per bridge. A full scan of the pod-state store (one entry per
     * pod), so it is kept for {@link #SOURCES_KEPT_MS}: that is far below any heartbeat TTL, and the routers ask for
     * every service every half second.
     */
    private SourceHeartbeats sources() {
        long now = clock.millis();
        ScannedSources c = scannedSources;
        if (c != null && now - c.atMs() < SOURCES_KEPT_MS && now >= c.atMs()) {
            return c.sources();
        }
        Map<String, Long> freshest = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = podStates.get().all()) {
            while (it.hasNext()) {
                PodStateEntry e = decode(it.next().value);
                if (e.getLastHeartbeatMicros() != null) {
                    freshest.merge(e.getSource(), e.getLastHeartbeatMicros(), Math::max);
                }
            }
        }
        SourceHeartbeats s = new SourceHeartbeats(freshest);
        scannedSources = new ScannedSources(now, s);
        return s;
    }

    static final long SOURCES_KEPT_MS = 200;

    private record ScannedSources(long atMs, SourceHeartbeats sources) {
    }

    /** The local shards, or null when one of them is not rebuilt yet. */
    /**
     * Called on every Kafka Streams state change: a rebalance may have moved partitions, so the shard list is looked
     * up again on the next query.
     */
    public void assignmentChanged() {
        generation.incrementAndGet();
        cachedShards = null;
    }

    /**
     * This instance's index shards, or null while one is still being rebuilt. Looking them up through Kafka Streams
     * walks every task and cost about a quarter of a prefix match's CPU, so the list is kept until the assignment
     * changes (or one of its stores closes).
     */
    private List<PrefixIndexStore> readyShards() {
        CachedShards c = cachedShards;
        if (c != null && c.generation() == generation.get() && usable(c.shards())) {
            return c.shards();
        }
        long g = generation.get();
        List<PrefixIndexStore> shards = indexes.get().shards();
        if (!usable(shards)) {
            return null;
        }
        if (generation.get() == g) {
            cachedShards = new CachedShards(g, shards);
        }
        return shards;
    }

    private static boolean usable(List<PrefixIndexStore> shards) {
        for (PrefixIndexStore s : shards) {
            if (!s.ready() || !s.isOpen()) {
                return false;
            }
        }
        return true;
    }

    private record CachedShards(long generation, List<PrefixIndexStore> shards) {
    }

    private PodView view(PodStateEntry e, List<PrefixIndexStore> shards, SourceHeartbeats sources) {
        String podId = e.getNamespace() + "/" + e.getService() + "/" + e.getPod();
        long now = clock.millis();
        Long hb = e.getLastHeartbeatMicros();
        Long age = hb == null ? null : Math.max(0, (now * 1_000 - hb) / 1_000);
        PodLiveness.Verdict v = liveness.judge(new PodLiveness.Evidence(e.getBridgeState() == PodState.CONNECTED, hb,
                e.getSource(), e.getDrained(), e.getLoadUnknownSinceMicros()), sources, now);
        List<PodView.Worker> workers = new ArrayList<>();
        long total = 0;
        Long lastSeq = null;
        Long lastEvent = null;
        Set<Integer> ranks = new HashSet<>();
        for (WorkerStatus w : e.getWorkers()) {
            long held = blocksOf(shards, WorkerKeys.of(podId, w.getDpRank()));
            total += held;
            ranks.add(w.getDpRank());
            workers.add(new PodView.Worker(w.getDpRank(), w.getConnected(), w.getLastSequence(),
                    w.getLastEventAtMicros(), held));
            lastSeq = max(lastSeq, w.getLastSequence());
            lastEvent = max(lastEvent, w.getLastEventAtMicros());
        }
        if (!ranks.contains(0)) {
            total += blocksOf(shards, WorkerKeys.of(podId, 0)); // events before the first status
        }
        return new PodView(e.getNamespace(), e.getService(), e.getPod(), e.getPodIndex(), e.getHost(),
                e.getAddress(), e.getModel(), e.getBlockSize(), v.alive(), v.routable(), e.getDrained(), v.stale(),
                v.suspect(), e.getDrainedBy(), e.getDrainReason(),
                e.getBridgeState() == null ? null : e.getBridgeState().name(), e.getSource(), hb, age,
                e.getLoadUnknownSinceMicros(), v.loadUnknownMs(), new PodView.Load(e.getRunningRequests(), e.getWaitingRequests(), e.getKvCacheUsage()), total,
                lastSeq, lastEvent, workers);
    }

    private static long blocksOf(List<PrefixIndexStore> shards, String workerKey) {
        for (PrefixIndexStore s : shards) {
            int id = s.index().findWorker(workerKey);
            if (id >= 0) {
                return s.index().blockCount(id);
            }
        }
        return 0;
    }

    private static Long max(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.max(a, b));
    }

    private static String podName(String workerKey, String servicePrefix) {
        return workerKey.substring(servicePrefix.length(), workerKey.lastIndexOf('#'));
    }

    private PodStateEntry decode(byte[] raw) {
        try {
            return codec.get().decode(raw);
        } catch (IOException e) {
            throw new InvalidStateStoreException("unreadable pod-state entry: " + e.getMessage());
        }
    }
}
