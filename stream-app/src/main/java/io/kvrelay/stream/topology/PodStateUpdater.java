package io.kvrelay.stream.topology;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStateEntry;
import io.kvrelay.schemas.avro.PodStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * How bridge statuses, operator commands and the pod's own events merge into its {@code PodStateEntry}: the one place
 * that decides pod state. Writes only when something changed, so a steady stream of events costs no store writes.
 */
final class PodStateUpdater {
    private final KeyValueStore<String, byte[]> store;
    private final AvroCodec<PodStateEntry> codec = AvroCodec.podStates();
    /** Block size last saved per pod by this task: spares a store read and a decode on every event batch. */
    private final java.util.Map<String, Integer> savedBlockSize = new java.util.HashMap<>();

    PodStateUpdater(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    void status(PodStatus s) {
        String id = s.getNamespace() + "/" + s.getService() + "/" + s.getPod();
        PodStateEntry e = getOrNew(id, s.getNamespace(), s.getService(), s.getPod());
        e.setPodIndex(s.getPodIndex());
        e.setHost(s.getHost());
        e.setModel(s.getModel());
        e.setBridgeState(s.getState());
        e.setWorkers(List.copyOf(s.getWorkers()));
        e.setLastHeartbeatMicros(s.getReportedAtMicros());
        if (s.getAddress() != null) {
            e.setAddress(s.getAddress());
        }
        e.setRunningRequests(s.getRunningRequests());
        e.setWaitingRequests(s.getWaitingRequests());
        e.setKvCacheUsage(s.getKvCacheUsage());
        e.setSource(s.getSource());
        e.setLoadUnknownSinceMicros(s.getLoadUnknownSinceMicros());
        put(id, e);
    }

    void command(PodCommand c) {
        String id = c.getNamespace() + "/" + c.getService() + "/" + c.getPod();
        PodStateEntry e = getOrNew(id, c.getNamespace(), c.getService(), c.getPod());
        e.setDrained(c.getDrained());
        e.setDrainedBy(c.getOperator());
        e.setDrainReason(c.getReason());
        e.setDrainedAtMicros(c.getAtMicros());
        put(id, e);
    }

    /** After a batch: only the block size is saved; sequences and event times come with the bridge's status. */
    void eventsApplied(KvEventBatch b, String podId, Integer blockSize) {
        if (blockSize == null || blockSize.equals(savedBlockSize.get(podId))) {
            return;
        }
        byte[] raw = store.get(podId);
        PodStateEntry e = raw == null ? null : decode(raw);
        if (e != null && Objects.equals(e.getBlockSize(), blockSize)) {
            savedBlockSize.put(podId, blockSize);
            return;
        }
        if (e == null) {
            e = blank(b.getNamespace(), b.getService(), b.getPod());
            e.setModel(b.getModel());
            e.setPodIndex(b.getPodIndex());
        }
        e.setBlockSize(blockSize);
        put(podId, e);
        savedBlockSize.put(podId, blockSize);
    }

    private PodStateEntry getOrNew(String id, String ns, String service, String pod) {
        byte[] raw = store.get(id);
        return raw == null ? blank(ns, service, pod) : decode(raw);
    }

    private static PodStateEntry blank(String ns, String service, String pod) {
        return PodStateEntry.newBuilder().setNamespace(ns).setService(service).setPod(pod)
                .setBridgeState((PodState) null).build();
    }

    private void put(String id, PodStateEntry e) {
        store.put(id, codec.encode(e));
    }

    private PodStateEntry decode(byte[] raw) {
        try {
            return codec.decode(raw);
        } catch (IOException e) {
            // Our own store: unreadable means a schema was changed without keeping the history.
            throw new UncheckedIOException("pod-state store holds an unreadable entry", e);
        }
    }
}
