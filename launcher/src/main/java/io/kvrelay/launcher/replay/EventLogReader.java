package io.kvrelay.launcher.replay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads one topic between two instants, every partition, and hands the records over in timestamp order across
 * partitions (a k-way merge of the partitions' heads; within a partition, log order), so a state sampled at time T has
 * seen exactly the records stamped up to T. No consumer group: offsets are assigned, nothing is committed.
 */
final class EventLogReader {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What the window covers: records to read in all, for the progress bar. */
    record Window(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
        long records() {
            long n = 0;
            for (var e : end.entrySet()) {
                n += Math.max(0, e.getValue() - start.getOrDefault(e.getKey(), e.getValue()));
            }
            return n;
        }
    }

    private final Properties props = new Properties();
    private final String topic;

    EventLogReader(String bootstrapServers, String topic) {
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        this.topic = topic;
    }

    /**
     * @param from null = each partition's beginning
     * @param to   null = each partition's end as of this call
     */
    Window window(KafkaConsumer<byte[], byte[]> consumer, Instant from, Instant to) {
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic, TIMEOUT).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts, TIMEOUT);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, TIMEOUT);
        Map<TopicPartition, Long> start = new HashMap<>(from == null ? begin : offsetsAt(consumer, parts, from, end));
        Map<TopicPartition, Long> stop = new HashMap<>(to == null ? end : offsetsAt(consumer, parts, to, end));
        return new Window(start, stop);
    }

    /** The first offset stamped at or after {@code t}, or the end when there is none. */
    private static Map<TopicPartition, Long> offsetsAt(KafkaConsumer<byte[], byte[]> consumer,
                                                       List<TopicPartition> parts, Instant t,
                                                       Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(p -> query.put(p, t.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition p : parts) {
            OffsetAndTimestamp o = found.get(p);
            out.put(p, o == null ? end.get(p) : o.offset());
        }
        return out;
    }

    /** Reads the window and calls {@code sink} for every record, oldest timestamp first. Returns records read. */
    long read(Instant from, Instant to, Consumer<Window> onWindow, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            Window w = window(consumer, from, to);
            onWindow.accept(w);
            Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> heads = new HashMap<>();
            List<TopicPartition> open = new ArrayList<>();
            for (var e : w.end().entrySet()) {
                long s = w.start().get(e.getKey());
                if (s < e.getValue()) {
                    open.add(e.getKey());
                    heads.put(e.getKey(), new ArrayDeque<>());
                }
            }
            consumer.assign(open);
            open.forEach(p -> consumer.seek(p, w.start().get(p)));
            long n = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!heads.isEmpty()) {
                if (heads.values().stream().anyMatch(ArrayDeque::isEmpty)) {
                    var polled = consumer.poll(Duration.ofMillis(200));
                    if (!polled.isEmpty()) {
                        deadline = System.nanoTime() + TIMEOUT.toNanos();
                    } else if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no records for " + TIMEOUT + " while reading " + topic);
                    }
                    for (ConsumerRecord<byte[], byte[]> r : polled) {
                        TopicPartition p = new TopicPartition(r.topic(), r.partition());
                        if (heads.containsKey(p) && r.offset() < w.end().get(p)) {
                            heads.get(p).addLast(r);
                        }
                    }
                    // The window's last offsets may be control records or compacted away: a partition whose position
                    // passed its end with nothing left to hand over is done.
                    for (TopicPartition p : new ArrayList<>(heads.keySet())) {
                        if (heads.get(p).isEmpty() && consumer.position(p) >= w.end().get(p)) {
                            heads.remove(p);
                            consumer.pause(List.of(p));
                        }
                    }
                }
                // Apply the oldest head while every open partition has one (else a later poll may bring an older one).
                while (!heads.isEmpty() && heads.values().stream().noneMatch(ArrayDeque::isEmpty)) {
                    TopicPartition oldest = null;
                    for (var e : heads.entrySet()) {
                        if (oldest == null || e.getValue().peekFirst().timestamp()
                                < heads.get(oldest).peekFirst().timestamp()) {
                            oldest = e.getKey();
                        }
                    }
                    ConsumerRecord<byte[], byte[]> r = heads.get(oldest).pollFirst();
                    sink.accept(r);
                    n++;
                    if (r.offset() + 1 >= w.end().get(oldest)) {
                        heads.remove(oldest); // this partition's window is done
                        consumer.pause(List.of(oldest));
                    }
                }
            }
            return n;
        }
    }
}
