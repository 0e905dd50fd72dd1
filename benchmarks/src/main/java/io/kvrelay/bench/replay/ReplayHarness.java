package io.kvrelay.bench.replay;

import io.kvrelay.launcher.replay.ReplayCommand;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.RouteDecision;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Replay speed: writes a synthetic event log to a real broker (in-process KRaft), then times {@code kvrelay replay}
 * over it. Each batch is one worker's step: a new prompt of {@code --blocks} 16-token blocks (chained from the root),
 * and every 4th batch also removes that worker's oldest stored blocks, over 64 workers in 12 partitions; every
 * {@code --decision-every}th batch is followed by a route decision for its prompt on its pod (3 partitions), so the
 * timing covers the whole command: reading both topics, rebuilding, sampling, the counterfactual and the report.
 */
@Command(name = "replay-harness", mixinStandardHelpOptions = true, description = "events/s of kvrelay replay")
public final class ReplayHarness implements Callable<Integer> {
    @Option(names = "--batches", defaultValue = "200000", description = "batches in the log (default ${DEFAULT-VALUE})")
    int batches;

    @Option(names = "--blocks", defaultValue = "4", description = "blocks stored per batch (default ${DEFAULT-VALUE})")
    int blocks;

    @Option(names = "--decision-every", defaultValue = "10",
            description = "one route decision per this many batches, for the batch's prompt on its pod; 0 = none "
                    + "(default ${DEFAULT-VALUE})")
    int decisionEvery;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayHarness()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String prefix = "replay-harness-" + System.currentTimeMillis();
        String topic = prefix + ".kv-events";
        String decisions = prefix + ".route-decisions";
        try (KafkaBroker broker = KafkaBroker.start()) {
            TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()),
                    List.of(new TopicSpec(topic, 12, (short) 1, Map.of()), new TopicSpec(decisions, 3, (short) 1,
                            Map.of())));
            long events = write(broker.bootstrapServers(), topic, decisions);
            Path out = Files.createTempDirectory("replay-harness");
            ReplayCommand.Result r = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(),
                    topic, null, null, Duration.ofSeconds(10), out).withDecisions(decisions),
                    new PrintStream(PrintStream.nullOutputStream()));
            System.out.printf(Locale.ROOT, "replayed %d records: %d batches (%d events, %d blocks stored) and %d "
                            + "decisions in %.2f s (reading, rebuilding, sampling, counterfactual, writing the "
                            + "report): %.0f events/s, %.0f records/s; index at the end: %d entries; report in %s%n",
                    r.records(), r.records() - r.decisions(), events, (long) batches * blocks, r.decisions(),
                    r.seconds(), events / r.seconds(), r.records() / r.seconds(), r.state().index().entryCount(), out);
        }
        return 0;
    }

    /** A decision for the prompt just stored, to its own pod among 8 candidates of the same group of 8. */
    private static RouteDecision decision(int pod, List<Integer> tokens) {
        int[] t = tokens.stream().mapToInt(Integer::intValue).toArray();
        List<Long> keys = new ArrayList<>();
        for (long k : BlockKeys.chain(t, 16, (String) null)) {
            keys.add(k);
        }
        List<CandidateScore> candidates = new ArrayList<>();
        for (int c = pod / 8 * 8; c < pod / 8 * 8 + 8; c++) {
            candidates.add(new CandidateScore("pod-" + c, 0, 0, 1.0, 0, 0, 0.0, null));
        }
        long now = System.currentTimeMillis() * 1000;
        return RouteDecision.newBuilder().setNamespace("bench").setService("svc").setUserId("user-" + pod)
                .setLoraName(null).setBlockKeys(keys).setChosenPod("pod-" + pod).setReason("best-cost")
                .setSticky(false).setCandidates(candidates).setLatencyMicros(10).setAtMicros(now).setRouterId("bench")
                .build();
    }

    /** Writes the log; returns the number of events in it. */
    private long write(String bootstrap, String topic, String decisionsTopic) {
        AvroCodec<RouteDecision> decisions = AvroCodec.routeDecisions();
        KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        Random rnd = new Random(3);
        long[][] lastHashes = new long[64][];
        long nextHash = 1;
        long events = 0;
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(bootstrap)) {
            for (int i = 0; i < batches; i++) {
                int w = i % 64;
                List<Object> ev = new ArrayList<>();
                List<Long> hashes = new ArrayList<>();
                List<Integer> tokens = new ArrayList<>();
                long[] mine = new long[blocks];
                for (int b = 0; b < blocks; b++) {
                    mine[b] = nextHash++;
                    hashes.add(mine[b]);
                    for (int t = 0; t < 16; t++) {
                        tokens.add(rnd.nextInt(32_000));
                    }
                }
                BlockStored s = new BlockStored();
                s.setBlockHashes(hashes);
                s.setTokenIds(tokens);
                s.setBlockSize(16);
                s.setMedium("GPU");
                ev.add(s);
                if (i % 4 == 3 && lastHashes[w] != null) {
                    List<Long> gone = new ArrayList<>();
                    for (long h : lastHashes[w]) {
                        gone.add(h);
                    }
                    ev.add(new BlockRemoved(gone, "GPU", null, null, null));
                }
                lastHashes[w] = mine;
                events += ev.size();
                KvEventBatch batch = KvEventBatch.newBuilder().setNamespace("bench").setService("svc")
                        .setPod("pod-" + w).setDpRank(0).setTopic("").setSequence(i / 64)
                        .setOrigin(EventOrigin.LIVE).setReceivedAtMicros(System.currentTimeMillis() * 1000)
                        .setEvents(ev).build();
                p.send(new ProducerRecord<>(topic, ("bench/svc/pod-" + w).getBytes(StandardCharsets.UTF_8),
                        encoder.encode(batch)));
                if (decisionEvery > 0 && i % decisionEvery == 0) {
                    p.send(new ProducerRecord<>(decisionsTopic, ("pod-" + w).getBytes(StandardCharsets.UTF_8),
                            decisions.encode(decision(w, tokens))));
                }
            }
            p.flush();
        }
        return events;
    }
}
