package io.kvrelay.ingest.position;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.PodKey;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the last record of each wanted worker says, from records offered newest first. Kafka-free: records arrive as
 * key and value bytes.
 *
 * <p>The first record met for a worker (its newest) decides, once:
 * <ul>
 *   <li>a vLLM batch (origin LIVE or REPLAY): a {@link WorkerPosition};</li>
 *   <li>a {@link WorkerReset}, with or without a resume sequence: no position. Without one the worker's position is
 *       unknown by definition (POD_REMOVED, a record Kafka refused). With one, the batch carrying it never reached
 *       Kafka, so no batch after the reset is delivered: claiming {@code resume - 1} would invent a delivered batch
 *       with no digest to prove continuity, while "no position" is exact (consumers purged the worker at the reset and
 *       hold nothing of it since).</li>
 * </ul>
 * A bridge-made record that is not a reset says nothing about vLLM's sequence and is passed over. So is a record that
 * cannot be decoded (unknown schema fingerprint, corrupt body, invalid identity or publisher id): it is counted, and
 * the worker is decided by an older record, which can only put the resume point earlier (repeats, never loss).
 *
 * <p>Only records whose key is the pod id of a pod with an undecided rank are decoded; the rest are skipped by key.
 * Not thread-safe.
 */
final class WorkerTails {
    private final AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
    private final Set<WorkerId> undecided;
    /** Pod id bytes -> number of its ranks still undecided: the cheap filter before decoding. */
    private final Map<ByteBuffer, int[]> undecidedRanksByKey = new HashMap<>();
    private final Map<WorkerId, WorkerPosition> positions = new HashMap<>();
    private final Set<WorkerId> resetLast = new HashSet<>();
    private long decoded;
    private long undecodable;

    WorkerTails(Collection<WorkerId> wanted) {
        this.undecided = new LinkedHashSet<>(wanted);
        for (WorkerId w : undecided) {
            undecidedRanksByKey.computeIfAbsent(ByteBuffer.wrap(w.pod().toKafkaKey()), k -> new int[1])[0]++;
        }
    }

    /** True when a record with this key may decide a worker: the key is a pod id with a rank still undecided. */
    boolean wantsKey(byte[] key) {
        if (key == null) {
            return false;
        }
        int[] left = undecidedRanksByKey.get(ByteBuffer.wrap(key));
        return left != null && left[0] > 0;
    }

    /** Offers the next older record of a partition. */
    void offer(byte[] key, byte[] value) {
        if (value == null || !wantsKey(key)) {
            return;
        }
        KvEventBatch batch;
        try {
            batch = codec.decode(value);
        } catch (IOException e) {
            undecodable++;
            return;
        }
        decoded++;
        WorkerId worker = workerOf(batch);
        if (worker == null) {
            undecodable++;
            return;
        }
        if (!undecided.contains(worker)) {
            return;
        }
        WorkerReset reset = resetIn(batch);
        if (reset != null) {
            resetLast.add(worker);
        } else if (batch.getOrigin() == EventOrigin.BRIDGE) {
            return;
        } else {
            WorkerPosition p = positionOf(batch);
            if (p == null) {
                undecodable++;
                return;
            }
            positions.put(worker, p);
        }
        undecided.remove(worker);
        undecidedRanksByKey.get(ByteBuffer.wrap(worker.pod().toKafkaKey()))[0]--;
    }

    private static WorkerId workerOf(KvEventBatch b) {
        try {
            return new WorkerId(new PodKey(String.valueOf(b.getNamespace()), String.valueOf(b.getService()),
                    String.valueOf(b.getPod())), b.getDpRank());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static WorkerReset resetIn(KvEventBatch b) {
        for (Object e : b.getEvents()) {
            if (e instanceof WorkerReset r) {
                return r;
            }
        }
        return null;
    }

    private static WorkerPosition positionOf(KvEventBatch b) {
        byte[] publisherId = null;
        if (b.getPublisherId() != null) {
            ByteBuffer id = b.getPublisherId().duplicate();
            publisherId = new byte[id.remaining()];
            id.get(publisherId);
        }
        try {
            return new WorkerPosition(b.getSequence(), b.getPayloadDigest(), String.valueOf(b.getTopic()),
                    b.getPublishedAtMicros(), publisherId);
        } catch (IllegalArgumentException e) {
            return null; // negative sequence or a publisher id of the wrong length: not a batch this bridge wrote
        }
    }

    boolean isUndecided(WorkerId w) {
        return undecided.contains(w);
    }

    boolean anyUndecided(Collection<WorkerId> workers) {
        for (WorkerId w : workers) {
            if (undecided.contains(w)) {
                return true;
            }
        }
        return false;
    }

    Set<WorkerId> undecided() {
        return undecided;
    }

    Map<WorkerId, WorkerPosition> positions() {
        return positions;
    }

    Set<WorkerId> resetLast() {
        return resetLast;
    }

    long decoded() {
        return decoded;
    }

    long undecodable() {
        return undecodable;
    }
}
