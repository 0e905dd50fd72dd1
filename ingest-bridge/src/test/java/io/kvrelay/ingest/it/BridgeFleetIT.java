package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three bridges, each its own process, share 60 publishing pods through Kafka's group membership (fleet.enabled):
 * they split the pods without overlap (the later ones take theirs over from the first, a graceful hand-over), one is
 * killed (SIGKILL) mid-run, and the other two take its pods over once its session times out, resuming each worker
 * from its position in Kafka. Every published batch of every worker is in Kafka exactly once, in order, and no
 * worker was ever reset: an overlap would show as duplicates, a careless hand-over as a loss or a reset.
 */
class BridgeFleetIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final int PODS = 60;
    private static final int DRIVERS = 4;

    @TempDir
    Path dir;

    @Test
    void shouldSplitThePodsAndTakeOverAKilledBridgesWithoutLossOrDuplicate() throws Exception {
        String prefix = "it-fleet-" + UUID.randomUUID().toString().substring(0, 8);
        List<SimPodConfig> configs = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            configs.add(SimPodConfig.builder("fp-" + i).namespace("it").service("svc").preset(FidelityPreset.VLLM)
                    .capacityBlocks(50_000).seed(100 + i).build());
        }
        AtomicBoolean publishing = new AtomicBoolean(true);
        List<BridgeProcess> bridges = new ArrayList<>();
        List<Thread> drivers = new ArrayList<>();
        try (SimFleet fleet = SimFleet.start(configs)) {
            List<Map<String, Object>> pods = new ArrayList<>();
            for (SimPod p : fleet.pods()) {
                pods.add(BridgeProcess.pod(p.config().pod(), p.pubBasePort(), p.replayBasePort()));
            }
            // The broker's minimum: a killed bridge's pods move after 6 s.
            Map<String, Object> shared = Map.of("fleet", Map.of("enabled", true, "sessionTimeoutMs", 6_000));
            for (String name : List.of("a", "b", "c")) {
                bridges.add(new BridgeProcess(dir.resolve(name), broker.bootstrapServers(), prefix, pods,
                        "bridge-" + name, shared));
            }
            // a alone first: it runs every pod, and the pods publish.
            bridges.get(0).start().awaitHealthy(Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(slots(bridges.subList(0, 1))).containsExactly(60));
            for (SimPod p : fleet.pods()) {
                assertThat(p.awaitSubscribers(0, 1, Duration.ofSeconds(120))).as(p.config().pod()).isTrue();
            }
            for (int d = 0; d < DRIVERS; d++) {
                List<SimPod> mine = new ArrayList<>();
                for (int i = d; i < PODS; i += DRIVERS) {
                    mine.add(fleet.pod(i));
                }
                Thread t = new Thread(() -> drive(mine, publishing), "drive-" + d);
                t.start();
                drivers.add(t);
            }
            new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 5, Duration.ofSeconds(180));
            // b and c join while the pods publish: a hands two thirds of them over (stop, flush, resume elsewhere).
            bridges.get(1).start();
            bridges.get(2).start();
            bridges.get(1).awaitHealthy(Duration.ofSeconds(120));
            bridges.get(2).awaitHealthy(Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(slots(bridges)).as("slots of a, b, c").doesNotContain(0)
                            .satisfies(s -> assertThat(s.stream().mapToInt(Integer::intValue).sum()).isEqualTo(60)));
            new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 5, Duration.ofSeconds(180));
            List<Integer> podsBefore = podsPerBridge(bridges);

            long killedAt = System.nanoTime();
            bridges.get(1).kill9();
            new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 5, Duration.ofSeconds(180));
            double takeOverS = (System.nanoTime() - killedAt) / 1e9;
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(slots(List.of(bridges.get(0), bridges.get(2))).stream()
                            .mapToInt(Integer::intValue).sum()).isEqualTo(60));
            System.out.printf(Locale.ROOT, "fleet: pods of a, b, c before b was killed %s; every pod delivering again"
                    + " %.1f s after it (session timeout 6 s); a, c after: %s%n", podsBefore, takeOverS,
                    podsPerBridge(List.of(bridges.get(0), bridges.get(2))));

            publishing.set(false);
            for (Thread t : drivers) {
                t.join();
            }
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(new TopicReader(broker).behind(fleet.pods(), prefix + ".kv-events")).isEmpty());
            for (String name : List.of("a", "b", "c")) {
                assertThat(Files.readString(dir.resolve(name).resolve("bridge.log"))).as("bridge %s log", name)
                        .doesNotContain("WorkerReset");
            }
            assertThat(Files.readString(dir.resolve("a").resolve("bridge.log"))).contains("fleet: handing over");
            List<KvEventBatch> all = new TopicReader(broker).events(prefix + ".kv-events");
            Map<String, List<KvEventBatch>> byPod = new HashMap<>();
            for (KvEventBatch r : all) {
                byPod.computeIfAbsent(r.getPod(), k -> new ArrayList<>()).add(r);
            }
            for (SimPod p : fleet.pods()) {
                String worker = p.config().pod() + "#0";
                List<KvEventBatch> records = byPod.getOrDefault(p.config().pod(), List.of());
                long found = new WorkerLedger(worker, records).check(p.publishLog(0).snapshot(), Set.of(), List.of());
                assertThat(found).as(worker + " batches in Kafka").isEqualTo(p.publisher(0).nextSeq());
                assertThat(records).as(worker + ": exactly once").hasSize((int) p.publisher(0).nextSeq());
            }
        } finally {
            publishing.set(false);
            bridges.forEach(BridgeProcess::close);
        }
    }

    private static List<Integer> slots(List<BridgeProcess> bridges) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (BridgeProcess b : bridges) {
            JsonNode fleet = b.json("/health").path("fleet");
            out.add(fleet.path("slots").asInt(0));
        }
        return out;
    }

    private static List<Integer> podsPerBridge(List<BridgeProcess> bridges) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (BridgeProcess b : bridges) {
            out.add(b.json("/health").path("pods").asInt());
        }
        return out;
    }

    private static void drive(List<SimPod> pods, AtomicBoolean publishing) {
        List<WorkloadGenerator> gens = new ArrayList<>();
        for (SimPod p : pods) {
            gens.add(new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), p.config().seed()));
        }
        while (publishing.get()) {
            for (int i = 0; i < pods.size(); i++) {
                WorkloadGenerator.Request r = gens.get(i).next();
                pods.get(i).serve(0, r.tokens(), r.lora());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
