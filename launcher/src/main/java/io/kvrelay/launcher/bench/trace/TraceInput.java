package io.kvrelay.launcher.bench.trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace to replay: its first {@code limit} records (read once, shared by every policy's run), their arrival times
 * to be multiplied by {@code timeScale}, and the facts of exactly those records.
 */
public final class TraceInput {
    private final Path file;
    private final double timeScale;
    private final int limit;
    private final List<TraceRecord> records;
    private final TraceFacts facts;

    private TraceInput(Path file, double timeScale, int limit, List<TraceRecord> records) {
        this.file = file;
        this.timeScale = timeScale;
        this.limit = limit;
        this.records = List.copyOf(records);
        this.facts = TraceFacts.of(this.records);
    }

    /**
     * @param timeScale arrival times are multiplied by it: below 1 the same trace arrives faster
     * @param limit     how many records to read from the start; {@code Integer.MAX_VALUE} for all
     */
    public static TraceInput load(Path file, double timeScale, int limit) throws IOException {
        if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
            throw new IllegalArgumentException("time scale must be a finite number > 0, got " + timeScale);
        }
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be > 0, got " + limit);
        }
        List<TraceRecord> records = MooncakeTrace.read(file, limit);
        if (records.isEmpty()) {
            throw new IOException(file + ": the trace has no requests");
        }
        return new TraceInput(file, timeScale, limit, records);
    }

    public double timeScale() {
        return timeScale;
    }

    public List<TraceRecord> records() {
        return records;
    }

    public TraceFacts facts() {
        return facts;
    }

    /** What the report records of the trace: where it came from, how it was replayed, and its facts. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", file.toAbsolutePath().toString());
        out.put("timeScale", timeScale);
        out.put("limit", limit == Integer.MAX_VALUE ? "all" : limit);
        out.put("facts", facts);
        return out;
    }
}
