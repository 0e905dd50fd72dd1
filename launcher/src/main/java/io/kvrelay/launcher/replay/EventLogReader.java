package io.kvrelay.launcher.replay;

import io.kvrelay.schemas.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads topics between two positions, every partition, and hands the records over in timestamp order across all
 * partitions of all topics read together (a k-way merge of the partitions' heads; within a partition, log order), so
 * a state sampled at time T has seen exactly the records stamped up to T. No consumer group: offsets are assigned,
 * nothing is committed. One reader, one thread.
 */
final class EventLogReader implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * How far a partition's timestamps may go back between records (several bridges writing one partition, each
     * with its own clock): a window given as instants reads this much further on both sides, then keeps the records
     * stamped inside it.
     */
    static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

    /**
     * What a read covers: per partition, the first offset and the offset to stop before, and for a window given as
     * instants the stretch of time [from, to) its records must be stamped in ({@code within}; none = every record).
     */
    record Window(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end, Map<TopicPartition, long[]> within) {
        Window {
            start = Map.copyOf(start);
            end = Map.copyOf(end);
            within = within == null ? Map.of() : Map.copyOf(within);
        }

        Window(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
            this(start, end, Map.of());
        }

        static Window empty() {
            return new Window(Map.of(), Map.of());
        }

        /** Whether a record of {@code p} stamped {@code ts} is in the window's stretch of time (if it has one). */
        boolean holds(TopicPartition p, long ts) {
            long[] b = within.get(p);
            return b == null || (ts >= b[0] && ts < b[1]);
        }

        /** Records to read in all, for the progress bar. */
        long records() {
            long n = 0;
            for (var e : end.entrySet()) {
                n += Math.max(0, e.getValue() - start.getOrDefault(e.getKey(), e.getValue()));
            }
            return n;
        }

        /** Both windows read together, merged by timestamp. */
        Window plus(Window other) {
            Map<TopicPartition, Long> s = new HashMap<>(start);
            Map<TopicPartition, Long> e = new HashMap<>(end);
            Map<TopicPartition, long[]> t = new HashMap<>(within);
            s.putAll(other.start);
            e.putAll(other.end);
            t.putAll(other.within);
            return new Window(s, e, t);
        }
    }

    private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
    /** Most records the merge held at once during the last read (its memory, in records). */
    private long peakQueued;

    EventLogReader(String bootstrapServers) {
        this(KafkaClients.of(bootstrapServers));
    }

    EventLogReader(KafkaClients kafka) {
        this.consumer = kafka.consumer("kvrelay-replay", Map.of(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000",
                // A cluster that does not answer: a few spaced retries (and warnings), then CannotReplay, not 50
                // lines of them.
                ConsumerConfig.RECONNECT_BACKOFF_MS_CONFIG, "1000",
                ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "5000"), Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"));
    }

    /** @throws org.apache.kafka.common.errors.TimeoutException when the cluster does not answer within 15 s */
    boolean exists(String topic) {
        return consumer.listTopics(Duration.ofSeconds(15)).containsKey(topic);
    }

    /**
     * @param from null = each partition's beginning
     * @param to   null = each partition's end as of this call (exclusive, like every {@code to})
     */
    Window window(String topic, LogPosition from, LogPosition to) {
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic, TIMEOUT).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts, TIMEOUT);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, TIMEOUT);
        // Instants: Kafka's offsetsForTimes is exact only while a partition's timestamps never go back, so read
        // CLOCK_SKEW further on each side and keep the records stamped inside [from, to).
        Map<TopicPartition, Long> start = resolve(parts, from instanceof LogPosition.At at
                ? new LogPosition.At(at.at().minus(CLOCK_SKEW)) : from, begin, begin, end);
        Map<TopicPartition, Long> stop = resolve(parts, to instanceof LogPosition.At at
                ? new LogPosition.At(at.at().plus(CLOCK_SKEW)) : to, end, begin, end);
        stop.replaceAll((p, o) -> Math.max(o, start.get(p)));
        Map<TopicPartition, long[]> within = new HashMap<>();
        if (from instanceof LogPosition.At || to instanceof LogPosition.At) {
            long fromMs = from instanceof LogPosition.At at ? at.at().toEpochMilli() : Long.MIN_VALUE;
            long toMs = to instanceof LogPosition.At at ? at.at().toEpochMilli() : Long.MAX_VALUE;
            parts.forEach(p -> within.put(p, new long[] {fromMs, toMs}));
        }
        return new Window(start, stop, within);
    }

    /** Offsets of a position, clamped to what the log still holds. */
    private Map<TopicPartition, Long> resolve(List<TopicPartition> parts, LogPosition pos,
                                              Map<TopicPartition, Long> unset, Map<TopicPartition, Long> begin,
                                              Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (pos instanceof LogPosition.At at) {
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, at.at().toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
            parts.forEach(p -> out.put(p, found.get(p) == null ? end.get(p) : found.get(p).offset()));
        } else if (pos instanceof LogPosition.Offset o) {
            parts.forEach(p -> out.put(p, o.offset()));
        } else if (pos instanceof LogPosition.Offsets os) {
            for (int named : os.byPartition().keySet()) {
                if (named >= parts.size()) {
                    throw new IllegalArgumentException("partition " + named + " is not a partition of "
                            + parts.get(0).topic() + " (0.." + (parts.size() - 1) + ")");
                }
            }
            parts.forEach(p -> out.put(p, os.byPartition().getOrDefault(p.partition(), unset.get(p))));
        } else {
            out.putAll(unset);
        }
        out.replaceAll((p, o) -> Math.min(Math.max(o, begin.get(p)), end.get(p)));
        return out;
    }

    /**
     * The instants a window spans: its earliest first record and, exclusive, just after its latest last record; null
     * for an empty window. Used to read a second topic over the same stretch of time as an offset window.
     */
    Instant[] timeBounds(Window w) {
        Map<TopicPartition, Long> firsts = new HashMap<>();
        Map<TopicPartition, Long> lasts = new HashMap<>();
        w.end().forEach((p, end) -> {
            long s = w.start().get(p);
            if (s < end) {
                firsts.put(p, s);
                lasts.put(p, end - 1);
            }
        });
        if (firsts.isEmpty()) {
            return null;
        }
        long first = timestampsAt(firsts).values().stream().mapToLong(Long::longValue).min().orElseThrow();
        long last = timestampsAt(lasts).values().stream().mapToLong(Long::longValue).max().orElseThrow();
        return new Instant[] {Instant.ofEpochMilli(first), Instant.ofEpochMilli(last + 1)};
    }

    /**
     * The timestamp of the record at each partition's offset, or of the next one there is (compaction, control
     * records), all partitions in one assignment.
     */
    private Map<TopicPartition, Long> timestampsAt(Map<TopicPartition, Long> offsets) {
        consumer.assign(offsets.keySet());
        offsets.forEach(consumer::seek);
        Map<TopicPartition, Long> out = new HashMap<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (out.size() < offsets.size()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no record at or after " + offsets + " within " + TIMEOUT);
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                TopicPartition p = new TopicPartition(r.topic(), r.partition());
                if (!out.containsKey(p) && r.offset() >= offsets.get(p)) {
                    out.put(p, r.timestamp());
                    consumer.pause(List.of(p));
                }
            }
        }
        consumer.resume(consumer.paused());
        return out;
    }

    /** Records read ahead per partition before it is paused: the merge holds a bounded slice of each partition. */
    private static final int READ_AHEAD = 4_000;

    /** Reads the window and calls {@code sink} for every record, oldest timestamp first. Returns records read. */
    long read(Window w, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> heads = new HashMap<>();
        for (var e : w.end().entrySet()) {
            if (w.start().get(e.getKey()) < e.getValue()) {
                heads.put(e.getKey(), new ArrayDeque<>());
            }
        }
        consumer.assign(heads.keySet());
        heads.keySet().forEach(p -> consumer.seek(p, w.start().get(p)));
        consumer.resume(consumer.paused());
        Set<TopicPartition> full = new HashSet<>(); // paused because READ_AHEAD records wait in its queue
        int empty = heads.size(); // open partitions with nothing queued: the merge cannot hand over until it is 0
        long n = 0;
        long queued = 0;
        peakQueued = 0;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!heads.isEmpty()) {
            if (empty > 0) {
                var polled = consumer.poll(Duration.ofMillis(200));
                if (!polled.isEmpty()) {
                    deadline = System.nanoTime() + TIMEOUT.toNanos();
                } else if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no records for " + TIMEOUT + " while reading " + heads.keySet());
                }
                for (TopicPartition p : polled.partitions()) {
                    ArrayDeque<ConsumerRecord<byte[], byte[]>> q = heads.get(p);
                    if (q == null) {
                        continue;
                    }
                    boolean wasEmpty = q.isEmpty();
                    long end = w.end().get(p);
                    for (ConsumerRecord<byte[], byte[]> r : polled.records(p)) {
                        if (r.offset() < end) {
                            q.addLast(r);
                            queued++;
                        }
                    }
                    peakQueued = Math.max(peakQueued, queued);
                    if (wasEmpty && !q.isEmpty()) {
                        empty--;
                    }
                    // A partition far ahead in time would otherwise be read whole into memory while another catches up.
                    if (q.size() >= READ_AHEAD && full.add(p)) {
                        consumer.pause(List.of(p));
                    }
                }
                // The window's last offsets may be control records or compacted away: a partition whose position
                // passed its end with nothing left to hand over is done.
                for (TopicPartition p : new ArrayList<>(heads.keySet())) {
                    if (heads.get(p).isEmpty() && consumer.position(p) >= w.end().get(p)) {
                        heads.remove(p);
                        empty--;
                        consumer.pause(List.of(p));
                    }
                }
            }
            // Hand over the oldest head while every open partition has one (else a later poll may bring an older one).
            while (empty == 0 && !heads.isEmpty()) {
                TopicPartition oldest = null;
                long oldestTs = Long.MAX_VALUE;
                for (var e : heads.entrySet()) {
                    long ts = e.getValue().peekFirst().timestamp();
                    if (oldest == null || ts < oldestTs) {
                        oldest = e.getKey();
                        oldestTs = ts;
                    }
                }
                ArrayDeque<ConsumerRecord<byte[], byte[]>> q = heads.get(oldest);
                ConsumerRecord<byte[], byte[]> r = q.pollFirst();
                queued--;
                if (w.holds(oldest, r.timestamp())) {
                    sink.accept(r);
                    n++;
                }
                if (r.offset() + 1 >= w.end().get(oldest)) {
                    heads.remove(oldest); // this partition's window is done
                    consumer.pause(List.of(oldest));
                    full.remove(oldest);
                } else if (q.isEmpty()) {
                    empty++;
                }
                if (q.size() < READ_AHEAD / 2 && full.remove(oldest) && heads.containsKey(oldest)) {
                    consumer.resume(List.of(oldest));
                }
            }
        }
        return n;
    }

    long peakQueued() {
        return peakQueued;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
