package io.kvrelay.bench.e2e;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.testkit.KafkaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end ingest throughput on one machine: simulated vLLM pods publish pre-encoded batches over real ZeroMQ, the
 * bridge (in this JVM) decodes, encodes and produces them to a real Kafka broker (a child JVM), and the harness
 * counts what reached the topic. Reports batches/s and blocks/s, the losses (resets, dead letters: must be 0 for a
 * valid run) and the CPU each part used.
 */
@Command(name = "ingest-throughput", mixinStandardHelpOptions = true,
        description = "simulator -> bridge -> Kafka throughput, with zero-loss check and CPU breakdown")
public final class IngestThroughputHarness implements Callable<Integer> {

    @Option(names = "--pods", defaultValue = "4", description = "simulated pods (one worker each)")
    int pods;

    @Option(names = "--batches", defaultValue = "1000000", description = "batches to publish in total")
    long batches;

    @Option(names = "--rate", defaultValue = "50000", description = "target publish rate, batches/s in total; 0 = as fast as possible")
    long rate;

    @Option(names = "--layout", defaultValue = "ARRAY_FULL", description = "payload layout: ${COMPLETION-CANDIDATES}")
    PayloadLayout layout;

    @Option(names = "--linger-ms", defaultValue = "5", description = "producer linger.ms")
    int lingerMs;

    @Option(names = "--compression", defaultValue = "lz4", description = "producer compression")
    String compression;

    @Option(names = "--partitions", defaultValue = "12", description = "partitions of the KV-events topic")
    int partitions;

    @Option(names = "--out", description = "write the result as JSON to this file")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestThroughputHarness()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("kvrelay-e2e-");
        try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), 0)) {
            return run(kafka);
        } finally {
            deleteQuietly(dir);
        }
    }

    private int run(KafkaProcess kafka) throws Exception {
        List<SimPodConfig> configs = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            // Large buffers: this run measures throughput, and any gap must be repairable by replay.
            configs.add(SimPodConfig.builder("pod-" + i).namespace("bench").service("svc").layout(layout)
                    .replayBufferSteps(200_000).sndHwm(200_000).publishLogLimit(0).seed(i).build());
        }
        try (SimFleet fleet = SimFleet.start(configs)) {
            List<PodConfig> podConfigs = new ArrayList<>();
            for (SimPod p : fleet.pods()) {
                SimPodConfig c = p.config();
                podConfigs.add(new PodConfig(c.namespace(), c.service(), c.pod(), null, "127.0.0.1", p.pubBasePort(),
                        p.replayBasePort(), 1, c.model(), ""));
            }
            String prefix = "bench-" + System.currentTimeMillis();
            KafkaSinkConfig sink = new KafkaSinkConfig(kafka.bootstrapServers(), prefix, true, (short) 1, compression,
                    lingerMs, Map.of());
            TopicCounter counter = new TopicCounter(kafka.bootstrapServers(), prefix + ".kv-events");
            try (IngestBridge bridge = new IngestBridge(new BridgeConfig("bench", sink, ZmqConfig.defaults(),
                    new AdminConfig("127.0.0.1", 0), 0, 1_000, podConfigs))) {
                bridge.start();
                for (SimPod p : fleet.pods()) {
                    if (!p.awaitSubscribers(0, 1, java.time.Duration.ofSeconds(15))) {
                        throw new IllegalStateException(p.id() + " got no subscriber");
                    }
                }
                Workload workload = new Workload(fleet.pods(), layout, batches, rate);
                CpuSampler cpu = CpuSampler.start();
                long t0 = System.nanoTime();
                workload.run();
                long published = System.nanoTime();
                counter.awaitAtLeast(batches, TimeUnit.MINUTES.toNanos(5));
                long t1 = System.nanoTime();
                CpuSampler.Snapshot used = cpu.stop(Map.of("simulator publishers (send only)", workload.publisherCpuSeconds()));
                Result r = new Result(pods, layout.name(), batches, rate, lingerMs, compression,
                        (published - t0) / 1e9, (t1 - t0) / 1e9, counter.count(),
                        bridge.metrics().count("kvrelay.bridge.worker.resets", "reason", "unrecoverable_gap")
                                + bridge.metrics().count("kvrelay.bridge.worker.resets", "reason", "publisher_restart"),
                        sumDeadLetters(bridge), bridge.metrics().count("kvrelay.bridge.gaps"),
                        bridge.metrics().count("kvrelay.bridge.batches", "origin", "replay"),
                        workload.blocksPerBatch(), workload.payloadBytes(), used);
                r.print();
                if (out != null) {
                    Files.writeString(out, r.toJson());
                }
                return r.lossless() ? 0 : 1;
            }
        }
    }

    private static double sumDeadLetters(IngestBridge bridge) {
        return bridge.metrics().registry().find("kvrelay.bridge.dead.letters").counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // temporary data; the OS cleans /tmp eventually
        }
    }
}
