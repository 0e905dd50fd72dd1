package io.kvrelay.stream.topology;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.schemas.avro.WorkerStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builders for the records the topology reads, as the bridge and operators write them. */
final class Events {
    static final String NS = "ns";
    static final String SVC = "llama";
    private static final AvroCodec<KvEventBatch> BATCHES = AvroCodec.kvEvents();
    private static final AvroCodec<PodStatus> STATUSES = AvroCodec.podStatus();
    private static final AvroCodec<PodCommand> COMMANDS = AvroCodec.podCommands();

    private Events() {
    }

    static String podId(String pod) {
        return NS + "/" + SVC + "/" + pod;
    }

    static byte[] batch(String pod, int rank, long seq, Object... events) {
        return batch(SVC, pod, rank, seq, events);
    }

    static byte[] batch(String service, String pod, int rank, long seq, Object... events) {
        KvEventBatch b = new KvEventBatch();
        b.setNamespace(NS);
        b.setService(service);
        b.setPod(pod);
        b.setDpRank(rank);
        b.setTopic("");
        b.setSequence(seq);
        b.setOrigin(EventOrigin.LIVE);
        b.setReceivedAtMicros(System.currentTimeMillis() * 1000);
        b.setSkippedEvents(0);
        b.setEvents(Arrays.asList(events));
        return BATCHES.encode(b);
    }

    /** Blocks of {@code blockSize} tokens: block i holds tokens[i*bs .. (i+1)*bs). */
    static BlockStored stored(long[] hashes, Long parent, int[] tokens, int blockSize, String medium, String lora) {
        List<Long> h = new ArrayList<>();
        for (long x : hashes) {
            h.add(x);
        }
        List<Integer> t = new ArrayList<>();
        for (int x : tokens) {
            t.add(x);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(h);
        s.setParentBlockHash(parent);
        s.setTokenIds(t);
        s.setBlockSize(blockSize);
        s.setMedium(medium);
        s.setLoraName(lora);
        return s;
    }

    static BlockStored stored(long[] hashes, Long parent, int[] tokens) {
        return stored(hashes, parent, tokens, 4, "GPU", null);
    }

    static BlockRemoved removed(String medium, long... hashes) {
        List<Long> h = new ArrayList<>();
        for (long x : hashes) {
            h.add(x);
        }
        BlockRemoved r = new BlockRemoved();
        r.setBlockHashes(h);
        r.setMedium(medium);
        return r;
    }

    static AllBlocksCleared cleared() {
        return new AllBlocksCleared();
    }

    static WorkerReset reset(WorkerResetReason reason) {
        return new WorkerReset(reason, 1L, 0L, "test");
    }

    static byte[] status(String pod, PodState state, long reportedAtMicros, int ranks) {
        return encode(statusBuilder(pod, state, reportedAtMicros, ranks));
    }

    /** A status of bridge "test" with every field set, to change before {@link #encode}. */
    static PodStatus.Builder statusBuilder(String pod, PodState state, long reportedAtMicros, int ranks) {
        List<WorkerStatus> ws = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            ws.add(new WorkerStatus(r, state == PodState.CONNECTED, 10L + r, reportedAtMicros, 5L, 0L, 0L, 0L));
        }
        return PodStatus.newBuilder().setNamespace(NS).setService(SVC).setPod(pod).setPodIndex(3)
                .setHost("10.0.0.7").setModel("llama-8b").setState(state).setWorkers(ws)
                .setReportedAtMicros(reportedAtMicros).setSource("test").setAddress("10.0.0.7:8000")
                .setRunningRequests(2).setWaitingRequests(1).setKvCacheUsage(0.25);
    }

    static byte[] encode(PodStatus.Builder status) {
        return STATUSES.encode(status.build());
    }

    static byte[] command(String pod, boolean drained) {
        return COMMANDS.encode(new PodCommand(NS, SVC, pod, drained, "alice", "maintenance", 1L));
    }

    static int[] tokens(int from, int count) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = from + i;
        }
        return t;
    }
}
