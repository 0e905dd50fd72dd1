package io.kvrelay.ingest.position;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the backward scan reads: one topic's partitions, by offset range. Kafka in production
 * ({@link KafkaTailSource}), lists in tests. Every method throws {@link PositionRecoveryException} when Kafka stays
 * silent for longer than its bound.
 */
interface TailSource {

    /** The topic's partition count; 0 when the topic does not exist. */
    int partitionCount();

    /** The offsets [start, end) each of these partitions holds now. */
    Map<Integer, OffsetRange> offsets(List<Integer> partitions);

    /**
     * Reads each requested range to its end. Offsets may be missing inside a range (compaction, transaction markers,
     * retention meanwhile).
     *
     * @param keep which records to hand back, by key (null keys included); the others are only counted
     */
    Map<Integer, Chunk> read(Map<Integer, OffsetRange> ranges, Predicate<byte[]> keep);

    /** What a range held: the records kept, in offset order, and how many records were read in all. */
    record Chunk(List<RawRecord> kept, long read) {
    }

    /** Offsets {@code [start, end)}. */
    record OffsetRange(long start, long end) {
        public OffsetRange {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad offset range [" + start + ", " + end + ")");
            }
        }

        long size() {
            return end - start;
        }
    }

    /** One record as stored: key and value bytes, either may be null. */
    record RawRecord(long offset, byte[] key, byte[] value) {
    }
}
