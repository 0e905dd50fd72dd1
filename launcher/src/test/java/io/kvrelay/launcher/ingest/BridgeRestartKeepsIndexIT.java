package io.kvrelay.launcher.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index side of a bridge restart: pods publish, stream-app indexes, the bridge stops; the pods go on publishing
 * (less than their replay buffers hold, but their buffers no longer reach back to sequence 0); a new bridge starts.
 * Before, the new bridge had no positions, declared the sequences before the buffer's start lost and stream-app
 * purged every worker: prompts that matched before matched nowhere (302/350 -> 2/350 in the report). Now the new
 * bridge resumes from the positions in Kafka: every prompt indexed before the restart still matches exactly as it
 * did, and what was published meanwhile is indexed too.
 */
class BridgeRestartKeepsIndexIT {
    private static final int PODS = 3;

    @TempDir
    Path dir;

    @Test
    void shouldAnswerThePromptsOfBeforeTheRestartAsBefore() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String prefix = "it-keepindex-" + System.nanoTime();
        List<SimPod> pods = new ArrayList<>();
        List<PodConfig> configs = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            SimPod p = SimPod.start(SimPodConfig.builder("ki-" + i).namespace("ns").service("svc")
                    .preset(FidelityPreset.VLLM).replayBufferSteps(50).capacityBlocks(1_000_000).seed(40 + i).build());
            pods.add(p);
            configs.add(new PodConfig("ns", "svc", "ki-" + i, null, "127.0.0.1", p.pubBasePort(), p.replayBasePort(),
                    1, null, ""));
        }
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                Map.of());
        BridgeConfig cfg = new BridgeConfig("it", kafka, ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0), 1_024,
                5_000, configs);
        List<WorkloadGenerator> gens = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            gens.add(new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 40 + i));
        }
        List<Prompt> before = new ArrayList<>();
        try (StreamApp stream = new StreamApp(StreamAppConfig.local(broker.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix)).start()) {
            try (IngestBridge a = new IngestBridge(cfg).start()) {
                for (SimPod p : pods) {
                    assertThat(p.awaitSubscribers(0, 1, Duration.ofSeconds(60))).isTrue();
                }
                serve(pods, gens, 120, before);
                awaitIndexed(stream, pods);
            }
            Map<Prompt, Map<String, Integer>> answersBefore = answers(stream, before);
            assertThat(answersBefore.values().stream().filter(m -> !m.isEmpty()).count())
                    .as("prompts that match somewhere before the restart").isGreaterThan(before.size() / 2);

            List<Prompt> meanwhile = new ArrayList<>();
            serve(pods, gens, 10, meanwhile); // published while no bridge listens: only the replay brings them
            for (SimPod p : pods) {
                assertThat(p.replayStats(0).buffered()).as("the buffer no longer reaches back to 0").isEqualTo(50);
            }
            try (IngestBridge b = new IngestBridge(cfg).start()) {
                awaitIndexed(stream, pods);
                assertThat(b.metrics().count("kvrelay.bridge.worker.resets", "reason", "unrecoverable_gap")
                        + b.metrics().count("kvrelay.bridge.worker.resets", "reason", "publisher_restart"))
                        .as("resets after the restart").isZero();
                assertThat(answers(stream, before)).as("the prompts of before the restart").isEqualTo(answersBefore);
                assertThat(answers(stream, meanwhile).values()).as("published while the bridge was away")
                        .allSatisfy(m -> assertThat(m).isNotEmpty());
            }
        } finally {
            pods.forEach(SimPod::close);
        }
    }

    private record Prompt(int[] tokens, String lora, int pod) {
    }

    private static void serve(List<SimPod> pods, List<WorkloadGenerator> gens, int perPod, List<Prompt> out) {
        for (int n = 0; n < perPod; n++) {
            for (int i = 0; i < pods.size(); i++) {
                WorkloadGenerator.Request r = gens.get(i).next();
                pods.get(i).serve(0, r.tokens(), r.lora());
                out.add(new Prompt(r.tokens(), r.lora(), i));
            }
        }
    }

    /** Until stream-app has applied each pod's last published batch. */
    private static void awaitIndexed(StreamApp stream, List<SimPod> pods) {
        long published = pods.stream().mapToLong(p -> p.publisher(0).nextSeq()).sum();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> stream.healthy() && stream.metrics().batches.count() >= published);
    }

    private static Map<Prompt, Map<String, Integer>> answers(StreamApp stream, List<Prompt> prompts) {
        Map<Prompt, Map<String, Integer>> out = new HashMap<>();
        for (Prompt p : prompts) {
            long[] keys = BlockKeys.chain(p.tokens(), 16, p.lora());
            QueryOutcome<PrefixMatch> answer = stream.queries().local()
                    .prefixMatch(new PrefixMatchRequest("ns", "svc", keys, List.of()));
            assertThat(answer).isInstanceOf(QueryOutcome.Found.class);
            Map<String, Integer> matched = new HashMap<>();
            for (PrefixMatch.WorkerMatch m : ((QueryOutcome.Found<PrefixMatch>) answer).value().workers()) {
                if (m.matched() > 0) {
                    matched.put(m.pod(), m.matched());
                }
            }
            out.put(p, matched);
        }
        return out;
    }
}
