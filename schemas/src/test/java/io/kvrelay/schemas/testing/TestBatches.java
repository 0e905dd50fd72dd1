package io.kvrelay.schemas.testing;

import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import java.util.ArrayList;
import java.util.List;

/**
 * Event-log records for tests of downstream readers (the consumer guide, the replay): one event per batch, namespace
 * {@code ns}, service {@code svc}, rank 0. Shared through the schemas test-jar so each IT does not keep its own copy.
 */
public final class TestBatches {
    private TestBatches() {
    }

    /** One batch of {@code pod} carrying {@code event}; a {@link WorkerReset} gets origin BRIDGE, as the bridge makes it. */
    public static KvEventBatch batch(String pod, long seq, Object event, long receivedAtMicros) {
        return KvEventBatch.newBuilder().setNamespace("ns").setService("svc").setPod(pod).setDpRank(0).setTopic("")
                .setSequence(seq).setOrigin(event instanceof WorkerReset ? EventOrigin.BRIDGE : EventOrigin.LIVE)
                .setReceivedAtMicros(receivedAtMicros).setEvents(List.of(event)).build();
    }

    /** A GPU {@code BlockStored} of 16-token blocks with these engine hashes, from the prompt's root. */
    public static BlockStored stored(long... hashes) {
        List<Long> h = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (long x : hashes) {
            h.add(x);
        }
        for (int t : tokensOf(hashes)) {
            tokens.add(t);
        }
        return stored(h, tokens);
    }

    /** The prompt {@link #stored(long...)} stores for these hashes: 16 tokens per hash, derived from it. */
    public static int[] tokensOf(long... hashes) {
        int[] tokens = new int[hashes.length * 16];
        for (int i = 0; i < hashes.length; i++) {
            for (int t = 0; t < 16; t++) {
                tokens[i * 16 + t] = (int) hashes[i] * 100 + t;
            }
        }
        return tokens;
    }

    /** A GPU {@code BlockStored} of 16-token blocks: these hashes, these tokens (16 per hash). */
    public static BlockStored stored(List<Long> hashes, List<Integer> tokens) {
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(tokens);
        s.setBlockSize(16);
        s.setMedium("GPU");
        return s;
    }
}
