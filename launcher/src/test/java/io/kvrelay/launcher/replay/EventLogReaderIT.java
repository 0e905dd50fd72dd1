package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The merge on a real broker with partitions far apart in time: every record of partition 0 is older than every
 * record of partition 1, so the merge hands over all of partition 0 first. It must not read partition 1 whole into
 * memory meanwhile (a replay of days of a busy topic would), and must still hand everything over in time order.
 */
class EventLogReaderIT {
    /** The records are stamped years ago: kept forever, or the broker's retention check would delete them mid-run. */
    private static final Map<String, String> KEEP = Map.of("retention.ms", "-1");

    private static final int PER_PARTITION = 20_000;

    @Test
    void shouldMergeInTimeOrderWithBoundedReadAhead() {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = "it-reader-" + System.nanoTime();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), List.of(new TopicSpec(topic, 2, (short) 1, KEEP)));
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(broker.bootstrapServers())) {
            for (int i = 0; i < PER_PARTITION; i++) {
                p.send(new ProducerRecord<>(topic, 1, 1_000_000L + i, null, new byte[8])); // later, sent first
                p.send(new ProducerRecord<>(topic, 0, 1_000L + i, null, new byte[8]));
            }
            p.flush();
        }
        long[] last = {Long.MIN_VALUE};
        long[] outOfOrder = {0};
        try (EventLogReader reader = new EventLogReader(broker.bootstrapServers())) {
            long n = reader.read(reader.window(topic, null, null), r -> {
                outOfOrder[0] += r.timestamp() < last[0] ? 1 : 0;
                last[0] = r.timestamp();
            });
            assertThat(n).isEqualTo(2L * PER_PARTITION);
            assertThat(outOfOrder[0]).isZero();
            // Without pausing the partition that is ahead, all 20,000 of its records would wait in the merge.
            assertThat(reader.peakQueued()).as("records held at once").isLessThan(12_000);
        }
    }

    /**
     * A partition whose timestamps go back (two bridges' clocks writing one partition): a window given as instants
     * holds exactly the records stamped inside it, wherever they sit in the log. offsetsForTimes alone cut
     * [3 s, 6 s) at the offsets of the 5 s and 8 s records and so took the 2 s record between them, and cut
     * [1.5 s, 2.5 s) to nothing.
     */
    @Test
    void shouldHoldExactlyTheRecordsStampedInAWindowOfInstants() {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = "it-reader-skew-" + System.nanoTime();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()),
                List.of(new TopicSpec(topic, 1, (short) 1, KEEP)));
        long base = 1_700_000_000_000L;
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(broker.bootstrapServers())) {
            for (long at : new long[] {0, 5_000, 2_000, 8_000}) {
                p.send(new ProducerRecord<>(topic, 0, base + at, null, new byte[8]));
            }
            p.flush();
        }
        try (EventLogReader reader = new EventLogReader(broker.bootstrapServers())) {
            assertThat(stamps(reader, topic, base + 3_000, base + 6_000)).containsExactly(base + 5_000);
            assertThat(stamps(reader, topic, base + 1_500, base + 2_500)).containsExactly(base + 2_000);
            assertThat(stamps(reader, topic, base, base + 10_000)).containsExactly(base, base + 2_000, base + 5_000,
                    base + 8_000);
        }
    }

    private static List<Long> stamps(EventLogReader reader, String topic, long fromMs, long toMs) {
        List<Long> out = new java.util.ArrayList<>();
        long n = reader.read(reader.window(topic, new LogPosition.At(java.time.Instant.ofEpochMilli(fromMs)),
                new LogPosition.At(java.time.Instant.ofEpochMilli(toMs))), r -> out.add(r.timestamp()));
        assertThat(n).isEqualTo(out.size());
        out.sort(null);
        return out;
    }
}
