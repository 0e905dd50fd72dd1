package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.zmq.PublishedBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One worker's records in Kafka, checked against what its simulated publisher sent: every published batch is in
 * Kafka exactly once and in order (with the same blocks), or dead-lettered, or inside a range a WorkerReset declared
 * lost, and then only if it really never left the publisher (or, for a restart, if the new incarnation's buffer no
 * longer held it); the resets are exactly the expected ones, and each PUBLISHER_RESTART starts the next incarnation.
 */
record WorkerLedger(String worker, List<KvEventBatch> records) {

    long check(List<PublishedBatch> published, Set<Long> deadLettered, List<WorkerResetReason> expected) {
        Map<Long, KvEventBatch> byEpochSeq = new HashMap<>();
        List<long[]> lostRanges = new ArrayList<>(); // {epoch, from, to}
        List<long[]> restartLost = new ArrayList<>(); // {epoch, from, to}: sent while the bridge was away
        List<WorkerResetReason> resets = new ArrayList<>();
        List<String> details = new ArrayList<>();
        int epoch = 0;
        long last = -1;
        for (KvEventBatch b : records) {
            if (b.getOrigin() == EventOrigin.BRIDGE) {
                WorkerReset reset = (WorkerReset) b.getEvents().get(0);
                resets.add(reset.getReason());
                details.add(reset.getReason() + " " + reset.getLastSequence() + ".." + reset.getResumeSequence() + ": "
                        + reset.getDetail());
                if (reset.getReason() == WorkerResetReason.PUBLISHER_RESTART) {
                    epoch++;
                    last = -1;
                    Long resume = reset.getResumeSequence();
                    if (resume != null && resume > 0) {
                        // The new incarnation's first batches were gone from its buffer before the bridge got back.
                        restartLost.add(new long[] {epoch, 0, resume - 1});
                    }
                } else {
                    long from = reset.getLastSequence() == null ? 0 : reset.getLastSequence() + 1;
                    long to = reset.getResumeSequence() == null ? Long.MAX_VALUE : reset.getResumeSequence() - 1;
                    lostRanges.add(new long[] {epoch, from, to});
                }
                continue;
            }
            assertThat(b.getSequence()).as("%s: sequences strictly increase (epoch %d)", worker, epoch)
                    .isGreaterThan(last);
            last = b.getSequence();
            byEpochSeq.put(key(epoch, b.getSequence()), b);
        }
        assertThat(resets).as("%s: resets %s", worker, details).isEqualTo(expected);

        long found = 0;
        for (PublishedBatch pb : published) {
            if (pb.isEmpty() && pb.publisherId() != null) {
                continue; // a heartbeat of the snapshot variant: nothing to deliver (counted by the bridge)
            }
            KvEventBatch got = byEpochSeq.get(key(pb.epoch(), pb.seq()));
            if (got != null) {
                found++;
                if (pb.summary() != null) {
                    assertThat(storedBlocks(got)).as("%s seq %d stored blocks", worker, pb.seq())
                            .isEqualTo(pb.summary().storedBlocks());
                    assertThat(removedBlocks(got)).as("%s seq %d removed blocks", worker, pb.seq())
                            .isEqualTo(pb.summary().removedBlocks());
                    assertThat(got.getSkippedEvents()).isEqualTo(pb.summary().unknown());
                }
                continue;
            }
            boolean dead = pb.epoch() == 0 && deadLettered.contains(pb.seq());
            boolean declaredLost = lostRanges.stream()
                    .anyMatch(r -> r[0] == pb.epoch() && pb.seq() >= r[1] && pb.seq() <= r[2]);
            boolean lostInRestart = restartLost.stream()
                    .anyMatch(r -> r[0] == pb.epoch() && pb.seq() >= r[1] && pb.seq() <= r[2]);
            assertThat(dead || declaredLost || lostInRestart)
                    .as("%s: %s is in Kafka, dead-lettered or declared lost", worker, pb).isTrue();
            if (declaredLost && !dead) {
                // Only what really never reached the bridge may be declared lost.
                assertThat(pb.sentToPub()).as("%s: %s declared lost but it was sent", worker, pb).isFalse();
            }
        }
        return found;
    }

    private static long key(int epoch, long seq) {
        return ((long) epoch << 40) | seq;
    }

    private static int storedBlocks(KvEventBatch b) {
        return b.getEvents().stream().filter(e -> e instanceof BlockStored)
                .mapToInt(e -> ((BlockStored) e).getBlockHashes().size()).sum();
    }

    private static int removedBlocks(KvEventBatch b) {
        return b.getEvents().stream().filter(e -> e instanceof BlockRemoved)
                .mapToInt(e -> ((BlockRemoved) e).getBlockHashes().size()).sum();
    }
}
