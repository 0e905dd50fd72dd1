package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.ingest.pods.PodRegistry;
import io.kvrelay.ingest.zmq.WorkerSubscriber;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.testkit.KafkaBroker;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One bridge holds 1,000 workers (JeroMQ's default context stopped near 340): every worker connects and delivers every
 * batch, in order, with no worker failure. The publishers live in a child process, as pods do.
 */
class ThousandWorkersIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final int WORKERS = 1_000;
    private static final int BATCHES = 20;

    @Test
    @Timeout(600)
    void shouldRunAThousandWorkersAndDeliverEveryBatch() throws Exception {
        String prefix = "it-1000-" + UUID.randomUUID().toString().substring(0, 8);
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ManyPublishers.class.getName(),
                String.valueOf(WORKERS), String.valueOf(BATCHES))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        OutputStream in = child.getOutputStream();
        IngestBridge bridge = null;
        try {
            String line = out.readLine();
            assertThat(line).as("child's ports line").startsWith("PORTS ");
            String[] ports = line.substring(6).split(",");
            List<PodConfig> pods = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                pods.add(new PodConfig("it", "svc", "p" + i, null, "127.0.0.1", Integer.parseInt(ports[i]), null, 1,
                        null, ""));
            }
            KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 8,
                    Map.of());
            bridge = new IngestBridge(new BridgeConfig("it", kafka, ZmqConfig.defaults(),
                    new AdminConfig("127.0.0.1", 0), 4_096, 5_000, pods)).start();
            IngestBridge b = bridge;
            assertThat(b.registry().pods()).hasSize(WORKERS);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(b.registry().pods().stream().flatMap(p -> p.workers().stream())
                            .filter(w -> !w.stats().connected()).map(WorkerSubscriber::name).limit(5).toList())
                            .as("workers not connected yet").isEmpty());
            in.write("GO\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertThat(out.readLine()).isEqualTo("DONE");

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(b.metrics().count("kvrelay.bridge.batches", "origin", "live"))
                            .isEqualTo((double) WORKERS * BATCHES));
            Map<String, List<Long>> byWorker = new HashMap<>();
            for (KvEventBatch r : new TopicReader(broker).events(b.topics().kvEvents().name())) {
                assertThat(r.getOrigin()).isEqualTo(EventOrigin.LIVE);
                byWorker.computeIfAbsent(r.getPod(), k -> new ArrayList<>()).add(r.getSequence());
            }
            List<Long> expected = new ArrayList<>();
            for (long s = 0; s < BATCHES; s++) {
                expected.add(s);
            }
            assertThat(byWorker).hasSize(WORKERS);
            assertThat(byWorker.values()).allSatisfy(seqs -> assertThat(seqs).isEqualTo(expected));
            assertThat(b.metrics().count("kvrelay.bridge.worker.failures")).isZero();
            System.out.printf("ThousandWorkersIT: %d workers, %d descriptors open in this JVM%n", WORKERS,
                    new File("/proc/self/fd").list().length);
        } finally {
            if (bridge != null) {
                bridge.close();
            }
            in.close();
            child.destroy();
            child.waitFor();
        }
    }

    @Test
    void shouldRefusePodsPastTheCapacityOneErrorEachAndKeepTheOthers() {
        String prefix = "it-cap-" + UUID.randomUUID().toString().substring(0, 8);
        ZmqConfig zmq = new ZmqConfig(0, 0, 0, 0, 0, null, 0, 0, 0, 3);
        List<PodConfig> pods = List.of(
                new PodConfig("it", "svc", "a", null, "127.0.0.1", 1, null, 2, null, ""),
                new PodConfig("it", "svc", "b", null, "127.0.0.1", 11, null, 2, null, ""),
                new PodConfig("it", "svc", "c", null, "127.0.0.1", 21, null, 1, null, ""));
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                Map.of());
        try (IngestBridge bridge = new IngestBridge(new BridgeConfig("it", kafka, zmq, new AdminConfig("127.0.0.1", 0),
                64, 5_000, pods)).start()) {
            assertThat(bridge.registry().pods()).extracting(p -> p.config().pod()).containsExactly("a", "c");
            assertThat(bridge.metrics().count("kvrelay.bridge.workers.refused")).isEqualTo(2);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> bridge.addPod(
                    new PodConfig("it", "svc", "d", null, "127.0.0.1", 31, null, 1, null, "")))
                    .isInstanceOf(PodRegistry.CapacityExceededException.class).hasMessageContaining("capacity of 3");
        }
    }
}
