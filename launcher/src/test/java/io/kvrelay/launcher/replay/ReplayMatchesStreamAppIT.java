package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.testing.TestBatches;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.stream.topology.WorkerKeys;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof issue 6 asks for: the state {@code kvrelay replay} rebuilds from the event log at offset X equals what
 * stream-app's interactive queries answered at offset X. A real stream-app consumes a log of prompts (shared system
 * prompts, evictions, one cache clear) across 6 pods; once it has applied all of it, its answers for every prompt and
 * the partitions' end offsets X are taken. Then the log goes on (more prompts, evictions of earlier blocks, another
 * clear) and stream-app applies that too. A replay {@code --to X} must give the answers taken at X (not today's), and
 * a replay of the whole log must give today's answers.
 */
class ReplayMatchesStreamAppIT {
    private static final int PODS = 6;
    private static final int FIRST = 600;
    private static final int SECOND = 300;

    @TempDir
    Path dir;

    @Test
    void shouldRebuildWhatStreamAppAnsweredAtAnOffsetInTheMiddleAndAtTheEnd() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String prefix = "it-replay-vs-" + System.nanoTime();
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        String topic = topics.kvEvents().name();
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), topics.all());
        LogWriter log = new LogWriter(broker.bootstrapServers(), topic);
        log.write(FIRST);

        try (StreamApp stream = new StreamApp(StreamAppConfig.local(broker.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix)).start()) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> stream.healthy() && stream.metrics().batches.count() >= FIRST);
            // The known point: stream-app has applied everything up to these offsets, and nothing after them exists.
            Map<Integer, Long> x = endOffsets(broker.bootstrapServers(), topic);
            List<Map<String, Integer>> atX = answers(stream, log.prompts);
            long entriesAtX = stream.indexEntries();

            log.write(SECOND);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> stream.metrics().batches.count() >= FIRST + SECOND);
            List<Map<String, Integer>> atEnd = answers(stream, log.prompts.subList(0, atX.size()));
            assertThat(atEnd).as("the second part of the log changed the answers: comparing at X is not vacuous")
                    .isNotEqualTo(atX);

            ReplayCommand.Result toX = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(),
                    topic, null, new LogPosition.Offsets(x), Duration.ofSeconds(60), dir.resolve("x")), quiet());
            assertThat(toX.records()).isEqualTo(FIRST);
            assertThat(toX.state().index().entryCount()).as("entries at X").isEqualTo(entriesAtX).isPositive();
            assertSameAnswers(toX.state().index(), log.prompts.subList(0, atX.size()), atX);

            ReplayCommand.Result whole = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(),
                    topic, null, null, Duration.ofSeconds(60), dir.resolve("end")), quiet());
            assertThat(whole.records()).isEqualTo(FIRST + SECOND);
            assertThat(whole.state().index().entryCount()).as("entries at the end").isEqualTo(stream.indexEntries());
            assertSameAnswers(whole.state().index(), log.prompts.subList(0, atX.size()), atEnd);
        }
    }

    private static void assertSameAnswers(PrefixIndex rebuilt, List<int[]> prompts, List<Map<String, Integer>> live) {
        int shared = 0;
        for (int i = 0; i < prompts.size(); i++) {
            long[] keys = BlockKeys.chain(prompts.get(i), 16, (String) null);
            assertThat(matches(rebuilt, keys)).as("prompt %d", i).isEqualTo(live.get(i));
            shared += live.get(i).size() >= 2 ? 1 : 0;
        }
        assertThat(shared).as("prompts whose prefix several pods hold: the comparison is not vacuous")
                .isGreaterThan(prompts.size() / 3);
    }

    /** stream-app's per-pod matched prefix for every prompt, from its interactive queries. */
    private static List<Map<String, Integer>> answers(StreamApp stream, List<int[]> prompts) {
        List<Map<String, Integer>> out = new ArrayList<>();
        for (int[] tokens : prompts) {
            long[] keys = BlockKeys.chain(tokens, 16, (String) null);
            QueryOutcome<PrefixMatch> answer = stream.queries().local()
                    .prefixMatch(new PrefixMatchRequest("ns", "svc", keys, List.of()));
            assertThat(answer).isInstanceOf(QueryOutcome.Found.class);
            Map<String, Integer> live = new HashMap<>();
            for (PrefixMatch.WorkerMatch m : ((QueryOutcome.Found<PrefixMatch>) answer).value().workers()) {
                live.put(m.pod(), m.matched());
            }
            out.add(live);
        }
        return out;
    }

    private static Map<Integer, Long> endOffsets(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            Map<Integer, Long> out = new HashMap<>();
            c.endOffsets(parts).forEach((tp, o) -> out.put(tp.partition(), o));
            return out;
        }
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Per pod, the replayed index's longest matched prefix (pods with none left out, as stream-app does). */
    private static Map<String, Integer> matches(PrefixIndex index, long[] keys) {
        List<String> workers = index.workers();
        int[] ids = new int[workers.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = index.findWorker(workers.get(i));
        }
        int[] matched = new int[ids.length];
        int[] gpu = new int[ids.length];
        index.match(keys, keys.length, ids, ids.length, matched, gpu);
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (matched[i] > 0) {
                String pod = WorkerKeys.podOf(workers.get(i));
                out.merge(pod.substring(pod.lastIndexOf('/') + 1), matched[i], Math::max);
            }
        }
        return out;
    }

    /** Writes the log in parts, remembering what each pod holds so later removals name real blocks. */
    private static final class LogWriter {
        private final String bootstrap;
        private final String topic;
        private final Random rnd = new Random(11);
        private final int[][] system = new int[3][64]; // 4 blocks each, shared by every pod
        private final KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        private final Map<Integer, List<Long>> held = new HashMap<>();
        private final Map<Integer, Long> seq = new HashMap<>();
        final List<int[]> prompts = new ArrayList<>();
        private long nextHash = 1;

        LogWriter(String bootstrap, String topic) {
            this.bootstrap = bootstrap;
            this.topic = topic;
            for (int[] s : system) {
                for (int i = 0; i < s.length; i++) {
                    s[i] = rnd.nextInt(32_000);
                }
            }
        }

        /** Appends {@code batches} batches; the middle one of each part clears its pod. */
        void write(int batches) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(bootstrap)) {
                for (int i = 0; i < batches; i++) {
                    int pod = rnd.nextInt(PODS);
                    Object event;
                    List<Long> mine = held.computeIfAbsent(pod, k -> new ArrayList<>());
                    if (i == batches / 2) {
                        event = new AllBlocksCleared();
                        mine.clear();
                    } else if (rnd.nextInt(5) == 0 && mine.size() > 4) {
                        List<Long> gone = new ArrayList<>(mine.subList(0, 2));
                        mine.subList(0, 2).clear();
                        event = new BlockRemoved(gone, "GPU", null, null, null);
                    } else {
                        int[] prompt = new int[6 * 16]; // a system prompt, then 2 blocks of its own
                        System.arraycopy(system[rnd.nextInt(system.length)], 0, prompt, 0, 64);
                        for (int t = 64; t < prompt.length; t++) {
                            prompt[t] = rnd.nextInt(32_000);
                        }
                        prompts.add(prompt);
                        List<Long> hashes = new ArrayList<>();
                        List<Integer> tokens = new ArrayList<>();
                        for (int b = 0; b < 6; b++) {
                            hashes.add(nextHash++);
                        }
                        for (int t : prompt) {
                            tokens.add(t);
                        }
                        mine.addAll(hashes);
                        event = TestBatches.stored(hashes, tokens);
                    }
                    long s = seq.merge(pod, 1L, Long::sum) - 1;
                    KvEventBatch b = TestBatches.batch("pod-" + pod, s, event, System.currentTimeMillis() * 1000);
                    p.send(new ProducerRecord<>(topic, ("ns/svc/pod-" + pod).getBytes(StandardCharsets.UTF_8),
                            encoder.encode(b)));
                }
                p.flush();
            }
        }
    }
}
