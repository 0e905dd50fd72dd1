package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.stream.topology.WorkerKeys;
import io.kvrelay.schemas.testing.TestBatches;
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
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof issue 6 asks for: the state {@code kvrelay replay} rebuilds from the event log equals what stream-app's
 * interactive queries answer after the same records. A real stream-app consumes a log of prompts (shared system
 * prompts, evictions, one cache clear) across 6 pods; once it has applied all of it, the replay reads the same topic,
 * and for every prompt the matched prefix per pod is the same on both sides, as is the number of entries.
 */
class ReplayMatchesStreamAppIT {
    private static final int PODS = 6;
    private static final int BATCHES = 600;

    @TempDir
    Path dir;

    @Test
    void shouldRebuildWhatStreamAppAnswers() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String prefix = "it-replay-vs-" + System.nanoTime();
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        TopicCreator.ensure(broker.bootstrapServers(), Map.of(), topics.all());
        List<int[]> prompts = writeLog(broker.bootstrapServers(), topics.kvEvents().name());

        try (StreamApp stream = new StreamApp(StreamAppConfig.local(broker.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix)).start()) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> stream.healthy() && stream.metrics().batches.count() >= BATCHES);

            ReplayCommand.Result replay = ReplayCommand.run(broker.bootstrapServers(), topics.kvEvents().name(), null,
                    null, Duration.ofSeconds(60), dir.resolve("out"), new PrintStream(new ByteArrayOutputStream(),
                            true, StandardCharsets.UTF_8));
            assertThat(replay.records()).isEqualTo(BATCHES);
            PrefixIndex rebuilt = replay.state().index();
            assertThat(rebuilt.entryCount()).as("entries").isEqualTo(stream.indexEntries()).isPositive();

            int compared = 0;
            int shared = 0;
            for (int[] tokens : prompts) {
                long[] keys = BlockKeys.chain(tokens, 16, (String) null);
                QueryOutcome<PrefixMatch> answer = stream.queries().local()
                        .prefixMatch(new PrefixMatchRequest("ns", "svc", keys, List.of()));
                assertThat(answer).isInstanceOf(QueryOutcome.Found.class);
                Map<String, Integer> live = new HashMap<>();
                for (PrefixMatch.WorkerMatch m : ((QueryOutcome.Found<PrefixMatch>) answer).value().workers()) {
                    live.put(m.pod(), m.matched());
                }
                assertThat(matches(rebuilt, keys)).as("prompt %d", compared).isEqualTo(live);
                compared++;
                shared += live.size() >= 2 ? 1 : 0;
            }
            assertThat(compared).isEqualTo(prompts.size());
            assertThat(shared).as("prompts whose prefix several pods hold: the comparison is not vacuous")
                    .isGreaterThan(prompts.size() / 2);
        }
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

    /** Writes the log; returns the distinct prompts stored (to query afterwards). */
    private static List<int[]> writeLog(String bootstrap, String topic) {
        Random rnd = new Random(11);
        int[][] system = new int[3][64]; // 4 blocks each, shared by every pod
        for (int[] s : system) {
            for (int i = 0; i < s.length; i++) {
                s[i] = rnd.nextInt(32_000);
            }
        }
        KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        List<int[]> prompts = new ArrayList<>();
        Map<Integer, List<Long>> held = new HashMap<>();
        long nextHash = 1;
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(bootstrap)) {
            for (int i = 0; i < BATCHES; i++) {
                int pod = rnd.nextInt(PODS);
                Object event;
                List<Long> mine = held.computeIfAbsent(pod, k -> new ArrayList<>());
                if (i == BATCHES / 2) {
                    event = new AllBlocksCleared();
                    mine.clear();
                } else if (rnd.nextInt(5) == 0 && mine.size() > 4) {
                    List<Long> gone = new ArrayList<>(mine.subList(0, 2));
                    mine.subList(0, 2).clear();
                    event = new BlockRemoved(gone, "GPU", null);
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
                KvEventBatch b = TestBatches.batch("pod-" + pod, i, event, System.currentTimeMillis() * 1000);
                p.send(new ProducerRecord<>(topic, ("ns/svc/pod-" + pod).getBytes(StandardCharsets.UTF_8),
                        encoder.encode(b)));
            }
            p.flush();
        }
        return prompts;
    }
}
