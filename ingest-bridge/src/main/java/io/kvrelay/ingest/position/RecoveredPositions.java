package io.kvrelay.ingest.position;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the event topic says about each worker the bridge is about to run. Every wanted worker is in exactly one of
 * the four groups.
 *
 * @param positions  workers whose last record is a batch: resume after {@link WorkerPosition#lastSequence()}, and
 *                   prove continuity with its digest
 * @param resetLast  workers whose last record is a WorkerReset: consumers purged them and hold nothing delivered
 *                   since; start them as new (a further reset would purge nothing)
 * @param unresolved workers not met within {@code kafka.recovery.maxRecordsPerPartition} of their partition's end,
 *                   or before {@code kafka.recovery.maxScanMs} was spent: older records may exist; start them as new
 *                   (their first gap becomes a reset, which is safe)
 * @param notFound   workers with no record in the retained log of their partition: new workers (or idle for
 *                   longer than the topic's retention)
 * @param stats      what it took
 */
public record RecoveredPositions(Map<WorkerId, WorkerPosition> positions, Set<WorkerId> resetLast,
                                 Set<WorkerId> unresolved, Set<WorkerId> notFound, Stats stats) {

    public RecoveredPositions {
        positions = Map.copyOf(positions);
        resetLast = Set.copyOf(resetLast);
        unresolved = Set.copyOf(unresolved);
        notFound = Set.copyOf(notFound);
    }

    /** The position to resume from; empty for a worker in any other group. */
    public Optional<WorkerPosition> positionOf(WorkerId worker) {
        return Optional.ofNullable(positions.get(worker));
    }

    /**
     * @param topic            the event topic
     * @param partitionsRead   partitions at least one chunk was read from
     * @param recordsRead      records read backwards, all partitions together
     * @param recordsDecoded   of those, records of a wanted pod, decoded
     * @param undecodable      records of a wanted pod that could not be decoded (skipped)
     * @param outOfTime        {@code kafka.recovery.maxScanMs} stopped the scan
     * @param elapsedMillis    wall time, Kafka metadata included
     */
    public record Stats(String topic, int partitionsRead, long recordsRead, long recordsDecoded, long undecodable,
                        boolean outOfTime, long elapsedMillis) {
    }
}
