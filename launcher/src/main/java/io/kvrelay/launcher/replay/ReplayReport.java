package io.kvrelay.launcher.replay;

import io.kvrelay.policies.whatif.PolicyOutcome;
import io.kvrelay.policies.whatif.RecordedRequest;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.RouteDecision;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.stream.replay.ReplayState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;

/**
 * What a replay found, per service and per pod: what the events did, the state sampled over time (blocks held, store
 * and remove rates, prefix sharing), block lifetimes, resets, and the decisions the router took with the hit rate
 * they really got. Fed in timestamp order by {@link ReplayCommand}; the figures about state come from the rebuilt
 * index itself (through {@link ReplayState}), so they are the state stream-app would have had. Single-threaded.
 */
final class ReplayReport implements ReplayState.BlockLifecycle {
    private final Map<String, ServiceReport> services = new TreeMap<>();
    /** When each live (worker, block) entry appeared, by its store key. */
    private final Map<Bytes, Long> appearedAt = new HashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private long nowMs;
    private ServiceReport current;
    private PodActivity currentPod;
    private String currentPodId;
    private long unknownRemovedSoFar;
    private long unknownParentSoFar;
    private long eventRecords;
    private long decisionRecords;
    private long events;
    private long undecodable;
    private final List<String> undecodableExamples = new ArrayList<>();
    private Instant firstAt;
    private Instant lastAt;

    /** Before the batch is applied: its counters, and the clock and service its lifecycle callbacks belong to. */
    void beforeBatch(KvEventBatch b, long atMs) {
        tick(atMs);
        Instant t = Instant.ofEpochMilli(atMs);
        firstAt = firstAt == null ? t : firstAt;
        lastAt = t;
        eventRecords++;
        String svc = b.getNamespace() + "/" + b.getService();
        current = service(svc);
        currentPodId = svc + "/" + b.getPod();
        PodActivity p = current.pod(b.getPod());
        currentPod = p;
        p.batches++;
        for (Object e : b.getEvents()) {
            events++;
            if (e instanceof BlockStored st) {
                p.blocksStored += st.getBlockHashes().size();
                p.storedSinceSample += st.getBlockHashes().size();
            } else if (e instanceof BlockRemoved r) {
                p.blocksRemoved += r.getBlockHashes().size();
                p.removedSinceSample += r.getBlockHashes().size();
            } else if (e instanceof AllBlocksCleared) {
                p.clears++;
            } else if (e instanceof WorkerReset reset) {
                p.resets.merge(reset.getReason().name(), 1L, Long::sum);
                current.resets.add(new ServiceReport.Reset(Instant.ofEpochMilli(atMs).toString(), b.getPod(),
                        reset.getReason().name()));
            }
        }
    }

    /** After the batch is applied: the pod's blocks held, read back from the rebuilt state. */
    void afterBatch(KvEventBatch b, ReplayState state) {
        // What the window's start hid from this batch: removals of blocks stored before it, stores chained to them.
        long unknownRemoved = state.unknownRemovedBlocks();
        long unknownParent = state.unknownParentBlocks();
        current.removedUnseen += unknownRemoved - unknownRemovedSoFar;
        current.storedUnchained += unknownParent - unknownParentSoFar;
        unknownRemovedSoFar = unknownRemoved;
        unknownParentSoFar = unknownParent;
        currentPod.held(state.blocksHeld(currentPodId));
    }

    /** A decision the router took: the hit rate it really got, and the request kept for the counterfactual. */
    void decision(RouteDecision d, RecordedRequest request, long atMs, ReplayState state) {
        tick(atMs);
        decisionRecords++;
        String svc = request.service();
        int held = request.chosenPod() == null ? 0
                : state.matchedPrefix(svc + "/" + request.chosenPod(), request.blockKeys());
        ServiceReport s = service(svc);
        s.decisions.add(d, request, held);
        if (request.chosenPod() != null) {
            s.pod(request.chosenPod()).routed(request.promptBlocks(), held);
        }
        requests.add(request);
    }

    /** A record that could not be read; the first few are kept, to say which and why. */
    void undecodable(String what) {
        undecodable++;
        if (undecodableExamples.size() < 10) {
            undecodableExamples.add(what);
        }
    }

    @Override
    public void appeared(Bytes entry) {
        appearedAt.put(entry, nowMs);
        current.liveEntries++;
    }

    @Override
    public void disappeared(Bytes entry) {
        Long since = appearedAt.remove(entry);
        if (since != null) {
            current.lifetimes.ended(nowMs - since);
            currentPod.lifetimes.ended(nowMs - since);
            current.liveEntries--;
        }
    }

    void sample(Instant at, double intervalSeconds, ReplayState state) {
        services.forEach((name, s) -> s.sample(at, intervalSeconds, state.index(), state.workersOfService(name)));
    }

    /** At the window's end: blocks still held have no lifetime yet; they are counted per service. */
    void finish() {
        services.values().forEach(s -> s.lifetimes.stillHeld(s.liveEntries));
    }

    /** Peak blocks held per pod id ({@code namespace/service/pod}): the simulated pods' cache sizes. */
    Map<String, Integer> peakBlocksHeld() {
        Map<String, Integer> out = new TreeMap<>();
        services.forEach((svc, s) -> s.pods.forEach((pod, p) -> out.put(svc + "/" + pod, (int) p.peakHeld)));
        return out;
    }

    List<RecordedRequest> requests() {
        return requests;
    }

    Map<String, ServiceReport> services() {
        return services;
    }

    /** Run figures, for the JSON's {@code run} section. */
    record Counts(long eventRecords, long decisionRecords, long events, long undecodable,
                  List<String> undecodableExamples, Instant firstAt, Instant lastAt) {
    }

    Counts counts() {
        return new Counts(eventRecords, decisionRecords, events, undecodable, List.copyOf(undecodableExamples),
                firstAt, lastAt);
    }

    /** Each service's view, with its rows of the counterfactual. */
    List<ServiceReport.View> views(List<PolicyOutcome> outcomes) {
        List<ServiceReport.View> out = new ArrayList<>();
        services.forEach((name, s) -> {
            List<Object> rows = new ArrayList<>();
            for (PolicyOutcome o : outcomes) {
                var row = o.perService().get(name);
                if (row != null) {
                    rows.add(row);
                }
            }
            out.add(s.view(rows));
        });
        return out;
    }

    private ServiceReport service(String name) {
        return services.computeIfAbsent(name, ServiceReport::new);
    }

    private void tick(long atMs) {
        nowMs = atMs;
    }
}
