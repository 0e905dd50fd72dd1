package io.kvrelay.ingest.publish;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.decode.DecodedBatch;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.DeadLetterKind;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds the Avro records of one worker (pod + DP rank): event batches, resets and dead letters. Stateless. */
public final class RecordFactory {
    private final PodConfig pod;
    private final int rank;

    public RecordFactory(PodConfig pod, int rank) {
        this.pod = pod;
        this.rank = rank;
    }

    /**
     * @param payloadDigest XXH3-64 of the raw payload: what a later replay is compared with to prove continuity
     * @param publisherId   the publisher's incarnation id (24-byte sequence frames), or null
     */
    public KvEventBatch batch(long seq, String topic, EventOrigin origin, DecodedBatch decoded, long receivedAtMicros,
                              long payloadDigest, byte[] publisherId) {
        KvEventBatch b = base(seq, topic, origin, receivedAtMicros);
        b.setPayloadDigest(payloadDigest);
        b.setPublisherId(publisherId == null ? null : ByteBuffer.wrap(publisherId));
        b.setPublishedAtMicros((long) (decoded.timestampSeconds() * 1_000_000d));
        b.setSkippedEvents(decoded.skippedUnknown());
        b.setEvents(decoded.events());
        return b;
    }

    /**
     * A bridge-made reset: consumers purge this worker, then apply what follows.
     *
     * @param lastSequence   last sequence delivered before, or -1
     * @param resumeSequence first sequence delivered after, or -1 when unknown
     */
    public KvEventBatch reset(WorkerResetReason reason, long lastSequence, long resumeSequence, String detail,
                              long nowMicros) {
        KvEventBatch b = base(resumeSequence, "", EventOrigin.BRIDGE, nowMicros);
        b.setEvents(List.of(new WorkerReset(reason, lastSequence < 0 ? null : lastSequence,
                resumeSequence < 0 ? null : resumeSequence, detail)));
        return b;
    }

    public DeadLetter deadLetter(DeadLetterKind kind, String message, Long seq, List<byte[]> frames, long nowMicros) {
        List<ByteBuffer> raw = new ArrayList<>(frames.size());
        for (byte[] f : frames) {
            raw.add(ByteBuffer.wrap(f));
        }
        return new DeadLetter(pod.namespace(), pod.service(), pod.pod(), rank, seq, raw, kind, message, nowMicros);
    }

    private KvEventBatch base(long seq, String topic, EventOrigin origin, long receivedAtMicros) {
        KvEventBatch b = new KvEventBatch();
        b.setNamespace(pod.namespace());
        b.setService(pod.service());
        b.setPod(pod.pod());
        b.setPodIndex(pod.index());
        b.setDpRank(rank);
        b.setModel(pod.model());
        b.setTopic(topic);
        b.setSequence(seq);
        b.setOrigin(origin);
        b.setReceivedAtMicros(receivedAtMicros);
        b.setSkippedEvents(0);
        return b;
    }
}
