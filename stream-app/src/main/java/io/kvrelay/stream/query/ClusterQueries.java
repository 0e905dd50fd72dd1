package io.kvrelay.stream.query;

import io.kvrelay.stream.store.StoreNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers for the whole cluster from any instance: prefix matches and service listings fan out to every instance in
 * parallel and merge; one pod's detail goes to the instance that owns its partition.
 *
 * <p>A merged answer must cover every partition of the event log. If an instance does not answer, or a partition is
 * moving or restoring, the answer is {@link QueryOutcome.Unavailable} (503 with a retry hint), never a partial
 * result that would look like "nobody holds this prefix".
 */
public final class ClusterQueries {
    private final KafkaStreams streams;
    private final LocalQueries local;
    /** The local prefix-match, metered ({@link MeteredPrefixMatchQuery}). */
    private final PrefixMatchQuery prefixMatches;
    private final Counter notRunning;
    private final Counter instanceFailed;
    private final Counter rebalancing;
    private final RemoteQueryClient remote;
    private final HostInfo self;
    private final String eventsTopic;
    private final Integer indexPort;

    /** @param indexPort this instance's binary prefix-match port, told to routers; null = none */
    public ClusterQueries(KafkaStreams streams, LocalQueries local, RemoteQueryClient remote, HostInfo self,
                          String eventsTopic, Integer indexPort, MeterRegistry registry) {
        this.prefixMatches = new MeteredPrefixMatchQuery(local, registry);
        this.notRunning = fanOutFailures(registry, "not_running");
        this.instanceFailed = fanOutFailures(registry, "instance_unavailable");
        this.rebalancing = fanOutFailures(registry, "partitions_missing");
        this.indexPort = indexPort;
        this.streams = streams;
        this.local = local;
        this.remote = remote;
        this.self = self;
        this.eventsTopic = eventsTopic;
    }

    private static Counter fanOutFailures(MeterRegistry registry, String reason) {
        return Counter.builder("kvrelay.stream.query.fanout.failures")
                .description("queries across instances answered 503, by reason (this instance not running, another "
                        + "instance unavailable, partitions missing during a rebalance)")
                .tag("reason", reason).register(registry);
    }

    /** The prefix match over this instance's own shards (the binary index port, the JSON API's local=true). */
    public QueryOutcome<PrefixMatch> localPrefixMatch(PrefixMatchRequest req) {
        return prefixMatches.prefixMatch(req);
    }

    public LocalQueries local() {
        return local;
    }

    public List<InstanceInfo> instances() {
        List<InstanceInfo> out = new ArrayList<>();
        for (StreamsMetadata m : streams.metadataForAllStreamsClients()) {
            boolean isSelf = m.hostInfo().equals(self);
            out.add(new InstanceInfo(m.hostInfo().host(), m.hostInfo().port(), isSelf,
                    partitionsOf(m.topicPartitions()), partitionsOf(m.standbyTopicPartitions()),
                    isSelf ? indexPort : null));
        }
        out.sort(Comparator.comparing(InstanceInfo::host).thenComparingInt(InstanceInfo::port));
        return out;
    }

    public QueryOutcome<PrefixMatch> prefixMatch(PrefixMatchRequest req, byte[] localBody) {
        return fanOut(prefixMatches.prefixMatch(req), i -> remote.prefixMatch(i, localBody), parts -> {
            List<PrefixMatch.WorkerMatch> all = new ArrayList<>();
            List<Integer> partitions = new ArrayList<>();
            parts.forEach(p -> {
                all.addAll(p.workers());
                partitions.addAll(p.partitions());
            });
            all.sort(LocalQueries.BY_MATCH);
            partitions.sort(Comparator.naturalOrder());
            return new PrefixMatch(req.keys().length, all, partitions);
        }, PrefixMatch::partitions);
    }

    public QueryOutcome<LocalQueries.PodList> pods(String namespace, String service) {
        return fanOut(local.pods(namespace, service), i -> remote.pods(i, namespace, service), parts -> {
            List<PodView> all = new ArrayList<>();
            List<Integer> partitions = new ArrayList<>();
            SourceHeartbeats sources = SourceHeartbeats.NONE;
            for (LocalQueries.PodList p : parts) {
                all.addAll(p.pods());
                partitions.addAll(p.partitions());
                sources = sources.merge(p.sources());
            }
            all.sort(Comparator.comparing(PodView::pod));
            partitions.sort(Comparator.naturalOrder());
            // Each instance judged its pods on the bridges' reports it holds; judge again on all of them.
            return new LocalQueries.PodList(parts.size() == 1 ? all : local.judgeAgain(all, sources), partitions,
                    sources);
        }, LocalQueries.PodList::partitions);
    }

    public QueryOutcome<PodView> pod(String namespace, String service, String pod) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            notRunning.increment();
            return QueryOutcome.unavailable("stream-app is " + streams.state());
        }
        KeyQueryMetadata meta = streams.queryMetadataForKey(StoreNames.POD_STATE,
                namespace + "/" + service + "/" + pod, new StringSerializer());
        if (meta == null || meta.activeHost() == null || meta.activeHost().port() < 0) {
            return QueryOutcome.unavailable("no instance owns that pod's partition yet");
        }
        if (meta.activeHost().equals(self)) {
            return local.pod(namespace, service, pod);
        }
        // The pod is on another instance: ask it.
        InstanceInfo owner = new InstanceInfo(meta.activeHost().host(), meta.activeHost().port(), false,
                List.of(meta.partition()), List.of(), null);
        return remote.pod(owner, namespace, service, pod).join();
    }

    private <T> QueryOutcome<T> fanOut(QueryOutcome<T> mine,
                                       Function<InstanceInfo, CompletableFuture<QueryOutcome<T>>> ask,
                                       Function<List<T>, T> merge, Function<T, List<Integer>> partitionsOf) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            notRunning.increment();
            return QueryOutcome.unavailable("stream-app is " + streams.state());
        }
        List<InstanceInfo> instances = instances();
        List<CompletableFuture<QueryOutcome<T>>> pending = new ArrayList<>();
        for (InstanceInfo i : instances) {
            if (!i.self()) {
                pending.add(ask.apply(i));
            }
        }
        List<QueryOutcome<T>> outcomes = new ArrayList<>();
        outcomes.add(mine);
        pending.forEach(f -> outcomes.add(f.join()));
        List<T> parts = new ArrayList<>();
        for (QueryOutcome<T> o : outcomes) {
            if (o instanceof QueryOutcome.Found<T> f) {
                parts.add(f.value());
            } else if (o instanceof QueryOutcome.Unavailable<T> u) {
                instanceFailed.increment();
                return u;
            } else {
                instanceFailed.increment();
                return QueryOutcome.unavailable("an instance could not answer: " + o);
            }
        }
        T merged = merge.apply(parts);
        Set<Integer> expected = new TreeSet<>();
        instances.forEach(i -> expected.addAll(i.activePartitions()));
        Set<Integer> answered = new TreeSet<>(partitionsOf.apply(merged));
        if (expected.isEmpty() || !answered.equals(expected)) {
            rebalancing.increment();
            return QueryOutcome.unavailable("partitions answered " + answered + " but the event log has "
                    + expected + ": a rebalance is under way");
        }
        return QueryOutcome.found(merged);
    }

    private List<Integer> partitionsOf(Set<TopicPartition> tps) {
        List<Integer> out = new ArrayList<>();
        for (TopicPartition tp : tps) {
            if (tp.topic().equals(eventsTopic)) {
                out.add(tp.partition());
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
