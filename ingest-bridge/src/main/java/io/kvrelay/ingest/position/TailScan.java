package io.kvrelay.ingest.position;

import io.kvrelay.ingest.config.KafkaSinkConfig.RecoveryBounds;
import io.kvrelay.ingest.position.TailSource.Chunk;
import io.kvrelay.ingest.position.TailSource.OffsetRange;
import io.kvrelay.ingest.position.TailSource.RawRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Walks partitions backwards from their end, one step per partition per round (all partitions read together), until
 * each partition's wanted workers are decided ({@link WorkerTails}), its start is reached, or
 * {@code maxRecordsPerPartition} offsets are behind it, or the scan's time ({@code maxScanMs}) is spent. Kafka-free:
 * reads through a {@link TailSource}.
 *
 * <p>The first step back is {@code chunkRecords}; each further step of a partition doubles, up to
 * {@link #MAX_GROWTH} times that: workers that published lately are found after one small read, and a worker idle
 * for long is reached in a few large ones (each step costs a fetch round trip, and a small step wastes most of what
 * the broker sends back). Only records of pods with a rank still undecided are kept in memory and decoded.
 *
 * <p>One scan per instance; not thread-safe.
 */
final class TailScan {
    /** The largest step back, in multiples of {@code chunkRecords}. */
    static final int MAX_GROWTH = 16;

    /**
     * @param unresolved     undecided, and a partition of theirs stopped at the record or time bound: older records
     *                       may exist
     * @param notFound       undecided after reading their partitions back to the start: not in the retained log
     * @param partitionsRead partitions read at least one step of
     * @param recordsRead    records read (skipped by key or decoded)
     * @param outOfTime      the time bound stopped the scan
     */
    record Result(Map<WorkerId, WorkerPosition> positions, Set<WorkerId> resetLast, Set<WorkerId> unresolved,
                  Set<WorkerId> notFound, int partitionsRead, long recordsRead, long decoded, long undecodable,
                  boolean outOfTime) {
    }

    private final TailSource source;
    private final RecoveryBounds bounds;
    private final Map<Integer, List<WorkerId>> wanted;
    private final WorkerTails tails;
    private final Map<Integer, Cursor> active = new TreeMap<>();
    private final Set<Integer> stoppedAtBound = new HashSet<>();
    private long recordsRead;

    /** @param wantedByPartition the workers whose newest record may be in each partition */
    TailScan(TailSource source, RecoveryBounds bounds, Map<Integer, List<WorkerId>> wantedByPartition) {
        this.source = source;
        this.bounds = bounds;
        this.wanted = Map.copyOf(wantedByPartition);
        Set<WorkerId> all = new LinkedHashSet<>();
        wantedByPartition.values().forEach(all::addAll);
        this.tails = new WorkerTails(all);
    }

    /** @param timeBound when the scan stops reading, whatever is left */
    Result run(Deadline timeBound) {
        source.offsets(List.copyOf(new TreeMap<>(wanted).keySet())).forEach((p, range) -> {
            if (range.size() > 0 && !wanted.getOrDefault(p, List.of()).isEmpty()) {
                active.put(p, new Cursor(range.start(), range.end(), bounds.chunkRecords()));
            }
        });
        int partitionsRead = active.size();
        boolean outOfTime = false;
        while (!active.isEmpty()) {
            if (timeBound.passed()) {
                outOfTime = true;
                stoppedAtBound.addAll(active.keySet());
                break;
            }
            readOneStep();
        }
        Set<WorkerId> unresolved = new LinkedHashSet<>();
        for (Integer p : stoppedAtBound) {
            wanted.get(p).stream().filter(tails::isUndecided).forEach(unresolved::add);
        }
        Set<WorkerId> notFound = new LinkedHashSet<>(tails.undecided());
        notFound.removeAll(unresolved);
        return new Result(tails.positions(), tails.resetLast(), unresolved, notFound, partitionsRead, recordsRead,
                tails.decoded(), tails.undecodable(), outOfTime);
    }

    /** One step back in every active partition, newest record first; retires partitions that are done. */
    private void readOneStep() {
        Map<Integer, OffsetRange> ask = new TreeMap<>();
        active.forEach((p, c) -> ask.put(p, c.nextStep(bounds.maxRecordsPerPartition())));
        Map<Integer, Chunk> got = source.read(ask, tails::wantsKey);
        for (Integer p : new ArrayList<>(active.keySet())) {
            OffsetRange range = ask.get(p);
            Chunk chunk = got.getOrDefault(p, new Chunk(List.of(), 0));
            List<RawRecord> kept = chunk.kept();
            for (int i = kept.size() - 1; i >= 0; i--) {
                RawRecord r = kept.get(i);
                if (r.offset() >= range.start() && r.offset() < range.end()) {
                    tails.offer(r.key(), r.value());
                }
            }
            recordsRead += chunk.read();
            Cursor c = active.get(p);
            c.consumed(range);
            if (!tails.anyUndecided(wanted.get(p)) || c.atStart()) {
                active.remove(p);
            } else if (c.spanned >= bounds.maxRecordsPerPartition()) {
                active.remove(p);
                stoppedAtBound.add(p);
            }
        }
    }

    /** A partition's read position: everything at or after {@code end} is read. */
    private static final class Cursor {
        private final long start;
        private final long maxStep;
        private long end;
        private long spanned;
        private long step;

        Cursor(long start, long end, int firstStep) {
            this.start = start;
            this.end = end;
            this.step = firstStep;
            this.maxStep = (long) firstStep * MAX_GROWTH;
        }

        OffsetRange nextStep(long maxSpan) {
            return new OffsetRange(Math.max(start, end - Math.min(step, maxSpan - spanned)), end);
        }

        void consumed(OffsetRange r) {
            spanned += r.size();
            end = r.start();
            step = Math.min(step * 2, maxStep);
        }

        boolean atStart() {
            return end <= start;
        }
    }
}
