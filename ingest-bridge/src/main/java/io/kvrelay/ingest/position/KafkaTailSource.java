package io.kvrelay.ingest.position;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads offset ranges of one topic with an assigned consumer (no group, explicit seeks). Kafka may stay silent for
 * {@code answerTimeoutMs} per request, or per read that brings nothing; past that the Kafka client's
 * {@code TimeoutException} or a {@link PositionRecoveryException} says so. The caller owns and closes the consumer.
 * Single-threaded, as the consumer is.
 */
final class KafkaTailSource implements TailSource {
    private static final long MAX_POLL_MS = 200;

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final Duration answerTimeout;

    KafkaTailSource(Consumer<byte[], byte[]> consumer, String topic, long answerTimeoutMs) {
        this.consumer = consumer;
        this.topic = topic;
        this.answerTimeout = Duration.ofMillis(answerTimeoutMs);
    }

    @Override
    public int partitionCount() {
        // With allow.auto.create.topics=false, an absent topic is an empty list, not a topic created with broker defaults.
        List<PartitionInfo> parts = consumer.partitionsFor(topic, answerTimeout);
        return parts == null ? 0 : parts.size();
    }

    @Override
    public Map<Integer, OffsetRange> offsets(List<Integer> partitions) {
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
        // Assigned first: the consumer warns about offsets it fetched for partitions it does not hold.
        consumer.assign(tps);
        Map<TopicPartition, Long> start = consumer.beginningOffsets(tps, answerTimeout);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps, answerTimeout);
        Map<Integer, OffsetRange> out = new TreeMap<>();
        for (TopicPartition tp : tps) {
            long s = start.getOrDefault(tp, 0L);
            out.put(tp.partition(), new OffsetRange(s, Math.max(s, end.getOrDefault(tp, s))));
        }
        return out;
    }

    @Override
    public Map<Integer, Chunk> read(Map<Integer, OffsetRange> ranges, Predicate<byte[]> keep) {
        Map<TopicPartition, OffsetRange> pending = new HashMap<>();
        Map<Integer, List<RawRecord>> kept = new HashMap<>();
        Map<Integer, long[]> read = new HashMap<>();
        ranges.forEach((p, r) -> {
            kept.put(p, new ArrayList<>());
            read.put(p, new long[1]);
            if (r.size() > 0) {
                pending.put(new TopicPartition(topic, p), r);
            }
        });
        if (!pending.isEmpty()) {
            readToEnds(pending, keep, kept, read);
        }
        Map<Integer, Chunk> out = new HashMap<>();
        kept.forEach((p, records) -> out.put(p, new Chunk(records, read.get(p)[0])));
        return out;
    }

    private void readToEnds(Map<TopicPartition, OffsetRange> pending, Predicate<byte[]> keep,
                            Map<Integer, List<RawRecord>> kept, Map<Integer, long[]> read) {
        consumer.assign(pending.keySet());
        consumer.resume(pending.keySet()); // paused when their previous step was complete
        pending.forEach((tp, r) -> consumer.seek(tp, r.start()));
        Set<TopicPartition> reading = new HashSet<>(pending.keySet());
        long lastProgress = System.nanoTime();
        while (!reading.isEmpty()) {
            if (System.nanoTime() - lastProgress > answerTimeout.toNanos()) {
                throw new PositionRecoveryException("Kafka sent nothing for " + answerTimeout.toMillis()
                        + " ms while " + reading.size() + " partition(s) of " + topic + " were being read " + reading);
            }
            ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(MAX_POLL_MS));
            if (!polled.isEmpty()) {
                lastProgress = System.nanoTime();
            }
            for (ConsumerRecord<byte[], byte[]> r : polled) {
                OffsetRange range = pending.get(new TopicPartition(r.topic(), r.partition()));
                if (range != null && r.offset() >= range.start() && r.offset() < range.end()) {
                    read.get(r.partition())[0]++;
                    if (keep.test(r.key())) {
                        kept.get(r.partition()).add(new RawRecord(r.offset(), r.key(), r.value()));
                    }
                }
            }
            for (TopicPartition tp : List.copyOf(reading)) {
                // The position, not the last offset seen: it also moves past offsets that hold no record.
                if (consumer.position(tp, answerTimeout) >= pending.get(tp).end()) {
                    reading.remove(tp);
                    consumer.pause(List.of(tp)); // nothing more of it is needed this step
                    lastProgress = System.nanoTime();
                }
            }
        }
    }
}
