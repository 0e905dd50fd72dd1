package io.kvrelay.ingest.position;

import static io.kvrelay.ingest.position.TestRecords.batch;
import static io.kvrelay.ingest.position.TestRecords.encode;
import static io.kvrelay.ingest.position.TestRecords.pod;
import static io.kvrelay.ingest.position.TestRecords.positionOf;
import static io.kvrelay.ingest.position.TestRecords.reset;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.config.KafkaSinkConfig.RecoveryBounds;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The backward walk and what the last record of a worker means, against partitions held in lists. */
class TailScanTest {
    private static final WorkerId A0 = new WorkerId(pod("a"), 0);
    private static final WorkerId A1 = new WorkerId(pod("a"), 1);
    private static final WorkerId B0 = new WorkerId(pod("b"), 0);
    private static final WorkerId C0 = new WorkerId(pod("c"), 0);
    private static final WorkerId NOISE = new WorkerId(pod("noise"), 0);
    private static final Deadline NEVER = Deadline.after(Long.MAX_VALUE / 2_000_000L, System::nanoTime);

    private final InMemoryTail tail = new InMemoryTail(2);

    private void write(int partition, KvEventBatch b) {
        tail.append(partition, keyOf(b), encode(b));
    }

    private static byte[] keyOf(KvEventBatch b) {
        return pod(b.getPod()).toKafkaKey();
    }

    private TailScan.Result scan(Map<Integer, List<WorkerId>> wanted, int chunk, long maxPerPartition) {
        return new TailScan(tail, new RecoveryBounds(60_000, 60_000, maxPerPartition, chunk), wanted).run(NEVER);
    }

    @Test
    void shouldTakeEachWorkersNewestBatchAcrossRanksAndPartitions() {
        for (long s = 0; s < 5; s++) {
            write(0, batch(A0, s));
            write(0, batch(A1, 100 + s));
            write(1, batch(B0, 7 + s));
        }
        write(0, batch(A0, 5));

        TailScan.Result r = scan(Map.of(0, List.of(A0, A1), 1, List.of(B0)), 4, 1_000);

        assertThat(r.positions()).isEqualTo(Map.of(A0, positionOf(A0, 5), A1, positionOf(A1, 104),
                B0, positionOf(B0, 11)));
        assertThat(r.resetLast()).isEmpty();
        assertThat(r.unresolved()).isEmpty();
        assertThat(r.notFound()).isEmpty();
        assertThat(r.undecodable()).isZero();
    }

    @Test
    void shouldWalkBackInDoublingStepsAndStopOnceEveryWorkerOfThePartitionIsFound() {
        write(0, batch(A0, 41));
        for (long s = 0; s < 95; s++) {
            write(0, batch(NOISE, s));
        }
        write(0, batch(B0, 3));
        for (long s = 95; s < 200; s++) {
            write(0, batch(NOISE, s));
        }

        TailScan.Result r = scan(Map.of(0, List.of(A0, B0)), 10, 1_000);

        assertThat(r.positions()).isEqualTo(Map.of(A0, positionOf(A0, 41), B0, positionOf(B0, 3)));
        // 202 records, steps of 10, 20, 40, 80, then what is left (the cap, 16 x 10, is not reached).
        assertThat(tail.reads).extracting(m -> m.get(0)).containsExactly(new TailSource.OffsetRange(192, 202),
                new TailSource.OffsetRange(172, 192), new TailSource.OffsetRange(132, 172),
                new TailSource.OffsetRange(52, 132), new TailSource.OffsetRange(0, 52));
        assertThat(r.recordsRead()).isEqualTo(202);
        // Records of other pods are skipped by key, never decoded.
        assertThat(r.decoded()).isEqualTo(2);
    }

    @Test
    void shouldGrowStepsNoLargerThanSixteenChunks() {
        write(0, batch(A0, 1));
        for (long s = 0; s < 1_000; s++) {
            write(0, batch(NOISE, s));
        }

        TailScan.Result r = scan(Map.of(0, List.of(A0)), 10, 10_000);

        assertThat(tail.reads).extracting(m -> m.get(0).size())
                .containsExactly(10L, 20L, 40L, 80L, 160L, 160L, 160L, 160L, 160L, 51L);
        assertThat(r.positions()).containsOnlyKeys(A0);
        assertThat(r.decoded()).isEqualTo(1);
    }

    @Test
    void shouldReadNoFurtherBackThanNeeded() {
        for (long s = 0; s < 100; s++) {
            write(0, batch(NOISE, s));
        }
        write(0, batch(A0, 9));
        write(0, batch(NOISE, 100));

        TailScan.Result r = scan(Map.of(0, List.of(A0)), 10, 1_000);

        assertThat(r.positions()).containsEntry(A0, positionOf(A0, 9));
        assertThat(tail.reads).hasSize(1);
        assertThat(r.recordsRead()).isEqualTo(10);
    }

    @Test
    void shouldReadPartitionsTogetherOneChunkEachPerRound() {
        for (long s = 0; s < 80; s++) {
            write(0, batch(NOISE, s));
            write(1, batch(NOISE, s));
        }
        write(0, batch(A0, 1)); // found in the first chunk of partition 0

        TailScan.Result r = scan(Map.of(0, List.of(A0), 1, List.of(B0)), 10, 1_000);

        assertThat(tail.reads.get(0).keySet()).containsExactlyInAnyOrder(0, 1);
        assertThat(tail.reads.subList(1, tail.reads.size())).allSatisfy(read -> assertThat(read.keySet()).containsExactly(1));
        assertThat(r.positions()).containsOnlyKeys(A0);
        assertThat(r.notFound()).containsExactly(B0);
        assertThat(r.partitionsRead()).isEqualTo(2);
    }

    @Test
    void shouldGiveNoPositionWhenTheLastRecordIsAResetWithOrWithoutAResumeSequence() {
        WorkerId removed = A0;
        WorkerId gapNothingAfter = A1;
        WorkerId gapThenBatch = B0;
        WorkerId restartThenBatch = C0;
        write(0, batch(removed, 10));
        write(0, reset(removed, WorkerResetReason.POD_REMOVED, 10, -1));
        write(0, batch(gapNothingAfter, 20));
        // The batch of sequence 30 never reached Kafka: nothing after the reset is delivered.
        write(0, reset(gapNothingAfter, WorkerResetReason.UNRECOVERABLE_GAP, 20, 30));
        write(1, batch(gapThenBatch, 40));
        write(1, reset(gapThenBatch, WorkerResetReason.UNRECOVERABLE_GAP, 40, 50));
        write(1, batch(gapThenBatch, 50));
        write(1, batch(restartThenBatch, 900));
        write(1, reset(restartThenBatch, WorkerResetReason.PUBLISHER_RESTART, 900, 0));
        write(1, batch(restartThenBatch, 0));

        TailScan.Result r = scan(Map.of(0, List.of(removed, gapNothingAfter), 1, List.of(gapThenBatch, restartThenBatch)),
                2, 1_000);

        assertThat(r.resetLast()).containsExactlyInAnyOrder(removed, gapNothingAfter);
        assertThat(r.positions()).isEqualTo(Map.of(gapThenBatch, positionOf(gapThenBatch, 50),
                restartThenBatch, positionOf(restartThenBatch, 0)));
    }

    @Test
    void shouldPassOverBridgeRecordsThatAreNotResets() {
        write(0, batch(A0, 8));
        KvEventBatch bridgeMade = batch(A0, 99);
        bridgeMade.setOrigin(EventOrigin.BRIDGE);
        write(0, bridgeMade);

        assertThat(scan(Map.of(0, List.of(A0)), 10, 1_000).positions()).containsEntry(A0, positionOf(A0, 8));
    }

    @Test
    void shouldCountAndSkipRecordsItCannotDecode() {
        write(0, batch(A0, 3));
        byte[] key = A0.pod().toKafkaKey();
        tail.append(0, key, "not avro at all".getBytes());
        byte[] unknownFingerprint = encode(batch(A0, 4));
        unknownFingerprint[5] ^= 0x5A; // a schema this reader does not know
        tail.append(0, key, unknownFingerprint);
        KvEventBatch badId = batch(A0, 5);
        badId.setPublisherId(java.nio.ByteBuffer.wrap(new byte[3]));
        tail.append(0, key, encode(badId));
        tail.append(0, key, null);
        tail.append(0, null, encode(batch(A0, 6))); // no key: not the bridge's record

        TailScan.Result r = scan(Map.of(0, List.of(A0)), 2, 1_000);

        assertThat(r.positions()).containsEntry(A0, positionOf(A0, 3));
        assertThat(r.undecodable()).isEqualTo(3);
    }

    @Test
    void shouldRecoverV1RecordsWithoutADigest() {
        write(0, batch(A0, 1));
        tail.append(0, A0.pod().toKafkaKey(), TestRecords.encodeV1(batch(A0, 2)));

        TailScan.Result r = scan(Map.of(0, List.of(A0)), 10, 1_000);

        WorkerPosition p = r.positions().get(A0);
        assertThat(p.lastSequence()).isEqualTo(2);
        assertThat(p.payloadDigest()).isNull();
        assertThat(p.publisherId()).isNull();
        assertThat(p.topic()).isEqualTo("kv@a");
        assertThat(r.undecodable()).isZero();
    }

    @Test
    void shouldStopAtTheRecordBoundAndCallWhatItDidNotMeetUnresolved() {
        write(0, batch(A0, 1));
        for (long s = 0; s < 50; s++) {
            write(0, batch(NOISE, s));
        }
        write(1, batch(B0, 2));

        TailScan.Result r = scan(Map.of(0, List.of(A0), 1, List.of(B0, C0)), 7, 30);

        assertThat(r.unresolved()).containsExactly(A0);
        assertThat(r.notFound()).containsExactly(C0); // partition 1 was read to its start
        assertThat(r.positions()).containsOnlyKeys(B0);
        // 7 + 14, then 9: the last step is cut to the bound.
        assertThat(tail.reads.stream().filter(m -> m.containsKey(0)).map(m -> m.get(0).size()))
                .containsExactly(7L, 14L, 9L);
    }

    @Test
    void shouldStopAtTheStartLeftByRetention() {
        write(0, batch(A0, 1));
        for (long s = 0; s < 20; s++) {
            write(0, batch(NOISE, s));
        }
        tail.deleteBefore(0, 5);

        TailScan.Result r = scan(Map.of(0, List.of(A0)), 4, 1_000);

        assertThat(r.notFound()).containsExactly(A0);
        assertThat(tail.reads.get(tail.reads.size() - 1).get(0).start()).isEqualTo(5);
    }

    @Test
    void shouldStopWhenItsTimeIsSpentAndCallWhatItDidNotMeetUnresolved() {
        write(0, batch(A0, 1));
        for (long s = 0; s < 200; s++) {
            write(0, batch(NOISE, s));
        }
        write(0, batch(A1, 2));
        AtomicLong now = new AtomicLong();
        Deadline timeBound = Deadline.after(1_000, now::get);
        tail.onRead = () -> now.addAndGet(400_000_000L); // each step "takes" 400 ms

        TailScan.Result r = new TailScan(tail, new RecoveryBounds(60_000, 1_000, 1_000, 10),
                Map.of(0, List.of(A0, A1), 1, List.of(B0))).run(timeBound);

        assertThat(tail.reads).hasSize(3);
        assertThat(r.outOfTime()).isTrue();
        assertThat(r.positions()).containsOnlyKeys(A1);
        assertThat(r.unresolved()).containsExactly(A0);
        assertThat(r.notFound()).containsExactly(B0); // partition 1 is empty: nothing to read
    }
}
