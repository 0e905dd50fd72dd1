package io.kvrelay.ingest.position;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Partitions as lists; each partition may start above offset 0 (as after retention). Counts what was asked for. */
final class InMemoryTail implements TailSource {
    private final Map<Integer, List<RawRecord>> partitions = new TreeMap<>();
    private final Map<Integer, Long> starts = new TreeMap<>();
    private final int partitionCount;
    final List<Map<Integer, OffsetRange>> reads = new ArrayList<>();
    /** Run on every read, before it answers (tests move their clock here). */
    Runnable onRead = () -> { };

    InMemoryTail(int partitionCount) {
        this.partitionCount = partitionCount;
        for (int p = 0; p < partitionCount; p++) {
            partitions.put(p, new ArrayList<>());
            starts.put(p, 0L);
        }
    }

    /** Appends at the partition's end. */
    InMemoryTail append(int partition, byte[] key, byte[] value) {
        List<RawRecord> log = partitions.get(partition);
        log.add(new RawRecord(starts.get(partition) + log.size(), key, value));
        return this;
    }

    /** Drops the oldest records, as retention does. */
    InMemoryTail deleteBefore(int partition, long offset) {
        List<RawRecord> log = partitions.get(partition);
        log.removeIf(r -> r.offset() < offset);
        starts.put(partition, offset);
        return this;
    }

    long end(int partition) {
        return starts.get(partition) + partitions.get(partition).size();
    }

    @Override
    public int partitionCount() {
        return partitionCount;
    }

    @Override
    public Map<Integer, OffsetRange> offsets(List<Integer> wanted) {
        Map<Integer, OffsetRange> out = new TreeMap<>();
        for (int p : wanted) {
            out.put(p, new OffsetRange(starts.get(p), end(p)));
        }
        return out;
    }

    @Override
    public Map<Integer, Chunk> read(Map<Integer, OffsetRange> ranges, Predicate<byte[]> keep) {
        reads.add(Map.copyOf(ranges));
        onRead.run();
        Map<Integer, Chunk> out = new TreeMap<>();
        ranges.forEach((p, r) -> {
            List<RawRecord> in = partitions.get(p).stream()
                    .filter(x -> x.offset() >= r.start() && x.offset() < r.end()).toList();
            out.put(p, new Chunk(in.stream().filter(x -> keep.test(x.key())).toList(), in.size()));
        });
        return out;
    }
}
