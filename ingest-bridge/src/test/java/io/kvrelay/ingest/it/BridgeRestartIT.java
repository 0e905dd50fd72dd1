package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge restarted as an operator would, each time as its own process, while the pods go on publishing: killed
 * (SIGKILL) mid-run, started again, stopped (SIGTERM), started again. Before, each restart came back without
 * positions, emitted UNRECOVERABLE_GAP resets for sequences already delivered (stream-app purged every worker) and
 * duplicated thousands of batches. Now every bridge reads each worker's last batch back from Kafka, proves through the
 * replay that the pod is the same incarnation, and resumes: every published batch in Kafka exactly once, in order,
 * and not a single reset. (An index is a function of this log, so it answers the same prompts as if the bridge had
 * never stopped.)
 */
class BridgeRestartIT {
    private static final KafkaBroker broker = KafkaBroker.shared();

    @TempDir
    Path dir;

    @Test
    void shouldResumeAfterAKillAndAStopWithoutResetOrDuplicate() throws Exception {
        String prefix = "it-brestart-" + UUID.randomUUID().toString().substring(0, 8);
        List<SimPodConfig> configs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            configs.add(SimPodConfig.builder("rp-" + i).namespace("it").service("svc").preset(FidelityPreset.VLLM)
                    .capacityBlocks(100_000).seed(20 + i).build());
        }
        AtomicBoolean publishing = new AtomicBoolean(true);
        try (SimFleet fleet = SimFleet.start(configs)) {
            List<Map<String, Object>> pods = new ArrayList<>();
            for (SimPod p : fleet.pods()) {
                pods.add(BridgeProcess.pod(p.config().pod(), p.pubBasePort(), p.replayBasePort()));
            }
            List<Thread> drivers = new ArrayList<>();
            for (SimPod p : fleet.pods()) {
                Thread t = new Thread(() -> drive(p, publishing), "drive-" + p.config().pod());
                t.start();
                drivers.add(t);
            }
            try (BridgeProcess a = new BridgeProcess(dir, broker.bootstrapServers(), prefix, pods)) {
                a.start().awaitHealthy(Duration.ofSeconds(90));
                new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 50, Duration.ofSeconds(90));
                a.kill9();
            }
            Thread.sleep(1_500); // the pods go on publishing into their replay buffers
            try (BridgeProcess b = new BridgeProcess(dir, broker.bootstrapServers(), prefix, pods)) {
                b.start().awaitHealthy(Duration.ofSeconds(90));
                new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 50, Duration.ofSeconds(90));
                b.stopGracefully();
            }
            Thread.sleep(1_500);
            try (BridgeProcess c = new BridgeProcess(dir, broker.bootstrapServers(), prefix, pods)) {
                c.start().awaitHealthy(Duration.ofSeconds(90));
                new TopicReader(broker).awaitNewBatches(fleet.pods(), prefix + ".kv-events", 50, Duration.ofSeconds(90));
                publishing.set(false);
                for (Thread t : drivers) {
                    t.join();
                }
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                        .untilAsserted(() -> assertThat(new TopicReader(broker).behind(fleet.pods(), prefix + ".kv-events")).isEmpty());
                String log = Files.readString(dir.resolve("bridge.log"));
                assertThat(log).as("bridge log").doesNotContain("WorkerReset").contains("position recovery");
                assertThat(c.metric("kvrelay_bridge_continuity_proven_total", null)).isGreaterThanOrEqualTo(3);
            }
            List<KvEventBatch> all = new TopicReader(broker).events(prefix + ".kv-events");
            for (SimPod p : fleet.pods()) {
                String worker = p.config().pod() + "#0";
                List<KvEventBatch> records = all.stream().filter(r -> r.getPod().equals(p.config().pod())).toList();
                long found = new WorkerLedger(worker, records).check(p.publishLog(0).snapshot(), Set.of(), List.of());
                assertThat(found).as(worker + " batches in Kafka").isEqualTo(p.publisher(0).nextSeq());
                assertThat(records).as(worker + ": exactly once").hasSize((int) p.publisher(0).nextSeq());
            }
        } finally {
            publishing.set(false);
        }
    }

    private static void drive(SimPod pod, AtomicBoolean publishing) {
        WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), pod.config().seed());
        while (publishing.get()) {
            WorkloadGenerator.Request r = gen.next();
            pod.serve(0, r.tokens(), r.lora());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
