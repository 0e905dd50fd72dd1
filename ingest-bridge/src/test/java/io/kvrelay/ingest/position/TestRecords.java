package io.kvrelay.ingest.position;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.PodKey;
import io.kvrelay.schemas.SchemaHistory;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;

/** Event-log records as the bridge writes them (and as it wrote them under schema v1), for recovery tests. */
final class TestRecords {
    private static final AvroCodec<KvEventBatch> CODEC = AvroCodec.kvEvents();
    /** v1 is a prefix of v2 at every level, so the generated class writes itself under the v1 schema. */
    private static final BinaryMessageEncoder<KvEventBatch> V1 = new BinaryMessageEncoder<>(SpecificData.get(),
            SchemaHistory.versionsOf(KvEventBatch.getClassSchema().getFullName()).get(0));

    private TestRecords() {
    }

    static PodKey pod(String name) {
        return new PodKey("ns", "svc", name);
    }

    /** A vLLM batch of this worker, with a digest derived from the sequence and a publisher id. */
    static KvEventBatch batch(WorkerId w, long seq) {
        KvEventBatch b = base(w, seq, EventOrigin.LIVE);
        b.setTopic("kv@" + w.pod().pod());
        b.setPublishedAtMicros(1_700_000_000_000_000L + seq);
        b.setEvents(List.of(new BlockRemoved(List.of(seq), "GPU", null, null, null)));
        b.setPayloadDigest(digestOf(w, seq));
        b.setPublisherId(ByteBuffer.wrap(publisherIdOf(w)));
        return b;
    }

    /** A GPU {@code BlockStored} of {@code blocks} 16-token blocks, as a busy worker publishes. */
    static BlockStored stored(long seq, int blocks) {
        List<Long> hashes = new ArrayList<>(blocks);
        List<Integer> tokens = new ArrayList<>(blocks * 16);
        for (int i = 0; i < blocks; i++) {
            hashes.add(seq * 1_000 + i);
            for (int t = 0; t < 16; t++) {
                tokens.add((int) (seq * 31 + i * 16 + t) & 0xFFFF);
            }
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(tokens);
        s.setBlockSize(16);
        s.setMedium("GPU");
        s.setParentBlockHash(seq == 0 ? null : seq * 1_000 - 1);
        return s;
    }

    static long digestOf(WorkerId w, long seq) {
        return w.toString().hashCode() * 1_000_003L + seq;
    }

    static byte[] publisherIdOf(WorkerId w) {
        byte[] id = new byte[16];
        ByteBuffer.wrap(id).putLong(w.toString().hashCode()).putLong(w.rank());
        return id;
    }

    /** The position {@link #batch} gives. */
    static WorkerPosition positionOf(WorkerId w, long seq) {
        return new WorkerPosition(seq, digestOf(w, seq), "kv@" + w.pod().pod(), 1_700_000_000_000_000L + seq,
                publisherIdOf(w));
    }

    /** A bridge-made reset, as {@code RecordFactory} makes it: sequence = resume, or -1. */
    static KvEventBatch reset(WorkerId w, WorkerResetReason reason, long last, long resume) {
        KvEventBatch b = base(w, resume, EventOrigin.BRIDGE);
        b.setEvents(List.of(new WorkerReset(reason, last < 0 ? null : last, resume < 0 ? null : resume, "test")));
        return b;
    }

    private static KvEventBatch base(WorkerId w, long seq, EventOrigin origin) {
        KvEventBatch b = new KvEventBatch();
        b.setNamespace(w.pod().namespace());
        b.setService(w.pod().service());
        b.setPod(w.pod().pod());
        b.setDpRank(w.rank());
        b.setTopic("");
        b.setSequence(seq);
        b.setOrigin(origin);
        b.setReceivedAtMicros(1_800_000_000_000_000L);
        b.setEvents(List.of());
        return b;
    }

    static byte[] encode(KvEventBatch b) {
        return CODEC.encode(b);
    }

    /** As the bridge wrote it before schema v2: no digest, no publisher id. */
    static byte[] encodeV1(KvEventBatch b) {
        try {
            ByteBuffer buf = V1.encode(b);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
