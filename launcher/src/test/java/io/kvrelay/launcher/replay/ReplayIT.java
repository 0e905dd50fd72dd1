package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.TopicSpec;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.RouteDecision;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.schemas.testing.TestBatches;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay against a real broker: KV events of three pods spread over 4 partitions with known timestamps (one
 * record not ours), and route decisions on their own topic between them; the whole log, then a window of it. Every
 * expected figure below follows from the timeline in {@link #seed()}.
 */
class ReplayIT {
    private static final String PREFIX = "it-replay-" + System.nanoTime();
    private static final String TOPIC = PREFIX + ".kv-events";
    private static final String DECISIONS = PREFIX + ".route-decisions";
    private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void seed() {
        broker = KafkaBroker.shared();
        // Kept forever: the records are stamped 2026-01-01, and under the default retention (7 days) the broker's
        // retention check (30 s after its start, then every 5 min) deletes them, active segment included, wherever
        // it runs between two reads of a test: a window then found 2 records instead of 5, or 6 instead of 8 (seen in
        // long CI runs; a probe with a 2 s check interval deleted such records within seconds, not with this).
        Map<String, String> keep = Map.of("retention.ms", "-1");
        TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), List.of(new TopicSpec(TOPIC, 4, (short) 1, keep),
                new TopicSpec(DECISIONS, 2, (short) 1, keep)));
        KvEventBatchEncoder encoder = new KvEventBatchEncoder();
        AvroCodec<RouteDecision> decisions = AvroCodec.routeDecisions();
        try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(broker.bootstrapServers())) {
            send(p, 0, "pod-a", encoder.encode(batch("pod-a", 0, TestBatches.stored(1, 2, 3))));
            // 0.5 s: to pod-a, which holds 1,2,3 (the router believed 2).
            decide(p, decisions, 500, "pod-a", 2, 1, 2, 3);
            send(p, 1_000, "pod-b", encoder.encode(batch("pod-b", 0, TestBatches.stored(7, 8))));
            send(p, 2_000, "pod-c", encoder.encode(batch("pod-c", 0, TestBatches.stored(4, 5))));
            // 2.5 s: to pod-b for 7,8,99: it holds 7,8.
            decide(p, decisions, 2_500, "pod-b", 2, 7, 8, 99);
            send(p, 3_000, "pod-a", encoder.encode(batch("pod-a", 1, new BlockRemoved(List.of(2L), null, null, null, null))));
            send(p, 4_000, "pod-b", encoder.encode(batch("pod-b", 1, new AllBlocksCleared())));
            // 4.5 s: to pod-b for 7,8, cleared at 4 s: the router's belief (2) was stale, the hit is 0.
            decide(p, decisions, 4_500, "pod-b", 2, 7, 8);
            send(p, 5_000, "pod-b", encoder.encode(batch("pod-b", 2, TestBatches.stored(9))));
            // 5.5 s: no routable pod.
            written(p.send(new ProducerRecord<>(DECISIONS, null, T0 + 5_500, "ns/svc".getBytes(StandardCharsets.UTF_8),
                    decisions.encode(decision(null, 0, List.of(1L)).setReason("no-routable-pod")
                            .setCandidates(List.of()).build()))));
            send(p, 6_000, "pod-x", new byte[] {1, 2, 3}); // not a kvrelay record
            send(p, 7_000, "pod-c", encoder.encode(batch("pod-c", 1, new WorkerReset(
                    WorkerResetReason.UNRECOVERABLE_GAP, 0L, 9L, "test"))));
            p.flush();
        }
    }

    @Test
    void shouldRebuildTheWholeLogAndReportPerServiceAndPod() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ReplayCommand.Result r = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(), TOPIC,
                null, null, Duration.ofSeconds(2), dir).withDecisions(DECISIONS),
                new PrintStream(progress, true, StandardCharsets.UTF_8));
        assertThat(r.records()).isEqualTo(12);
        assertThat(r.decisions()).isEqualTo(4);
        assertThat(r.undecodable()).isEqualTo(1);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("12 / 12 records");

        JsonNode svc = service(r.report());
        assertThat(pod(svc, "pod-a").path("blocksStored").asLong()).isEqualTo(3);
        assertThat(pod(svc, "pod-a").path("blocksRemoved").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-a").path("peakBlocksHeld").asLong()).isEqualTo(3);
        assertThat(pod(svc, "pod-b").path("clears").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-c").path("resets").path("UNRECOVERABLE_GAP").asLong()).isEqualTo(1);
        assertThat(svc.path("resets").get(0).path("at").asText()).isEqualTo("2026-01-01T00:00:07Z");

        // Samples every 2 s of event time: at 2 s pod-a holds 3 (t=0), pod-b 2 (t=1); at the end 2, 1, 0.
        JsonNode samples = svc.path("samples");
        assertThat(samples.get(0).path("at").asText()).isEqualTo("2026-01-01T00:00:02Z");
        assertThat(samples.get(0).path("blocksHeld").path("pod-a").asLong()).isEqualTo(3);
        assertThat(samples.get(0).path("blocksHeld").path("pod-b").asLong()).isEqualTo(2);
        assertThat(samples.get(0).path("storedPerSecond").path("pod-b").asDouble()).isEqualTo(1.0);
        assertThat(samples.get(0).path("holders").path("1").asLong()).as("keys held by one worker").isEqualTo(5);
        JsonNode last = samples.get(samples.size() - 1);
        assertThat(last.path("blocksHeld").path("pod-a").asLong()).isEqualTo(2);
        assertThat(last.path("blocksHeld").path("pod-b").asLong()).isEqualTo(1);
        assertThat(last.path("blocksHeld").path("pod-c").asLong()).isZero();

        // Lifetimes: pod-a's block 2 (0 s → 3 s), pod-b's 7 and 8 (1 s → 4 s), pod-c's 4 and 5 (2 s → 7 s).
        JsonNode life = svc.path("lifetimes");
        assertThat(life.path("ended").asLong()).isEqualTo(5);
        assertThat(life.path("stillHeld").asLong()).as("pod-a's 1 and 3, pod-b's 9").isEqualTo(3);
        assertThat(life.path("p50Ms").asDouble()).isCloseTo(3_000, within(5.0));
        assertThat(life.path("maxMs").asDouble()).isCloseTo(5_000, within(5.0));
        assertThat(pod(svc, "pod-c").path("lifetimesEnded").asLong()).isEqualTo(2);
        assertThat(pod(svc, "pod-c").path("lifetimeP50Ms").asDouble()).isCloseTo(5_000, within(5.0));
        assertThat(pod(svc, "pod-a").path("lifetimesEnded").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-a").path("lifetimeP99Ms").asDouble()).isCloseTo(3_000, within(5.0));

        // Decisions: 3 routed, 8 prompt blocks; really held 3 + 2 + 0; the router believed 2 + 2 + 2.
        JsonNode d = svc.path("decisions");
        assertThat(d.path("total").asLong()).isEqualTo(4);
        assertThat(d.path("routed").asLong()).isEqualTo(3);
        assertThat(d.path("hitRate").asDouble()).isEqualTo(5.0 / 8);
        assertThat(d.path("routerSawHitRate").asDouble()).isEqualTo(6.0 / 8);
        assertThat(d.path("byReason").path("no-routable-pod").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-a").path("decisionsRouted").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-a").path("decisionHitRate").asDouble()).isEqualTo(1.0);
        assertThat(pod(svc, "pod-b").path("decisionsRouted").asLong()).isEqualTo(2);
        assertThat(pod(svc, "pod-b").path("decisionHitRate").asDouble()).as("7,8 of 7,8,99; then 0 of 7,8")
                .isEqualTo(2.0 / 5);
        assertThat(pod(svc, "pod-c").path("decisionHitRate").isNull()).isTrue();

        List<String> policies = new ArrayList<>();
        for (JsonNode o : r.report().path("counterfactual").path("policies")) {
            policies.add(o.path("policy").asText());
            assertThat(o.path("requests").asLong()).as("every policy scored on the 3 routed requests").isEqualTo(3);
        }
        assertThat(policies).startsWith("as-recorded").contains("round-robin", "least-loaded", "sticky-only",
                "kvrelay", "oracle-hit");

        for (String csv : List.of("pods.csv", "pod-samples.csv", "sharing.csv", "lifetimes.csv", "resets.csv",
                "decisions.csv", "counterfactual.csv")) {
            assertThat(Files.readAllLines(dir.resolve(csv))).as(csv).hasSizeGreaterThan(1);
        }
        assertThat(Files.readAllLines(dir.resolve("resets.csv")))
                .containsExactly("time,service,pod,reason", "2026-01-01T00:00:07Z,ns/svc,pod-c,UNRECOVERABLE_GAP");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg", "pod-c");

        // --dump-state: the cache at the window's end, block by block: pod-a's 1 and 3, pod-b's 9.
        assertThat(StateDump.write(dir, r.state().index())).isEqualTo(3);
        List<String> state = Files.readAllLines(dir.resolve("state.csv"));
        assertThat(state).first().isEqualTo("pod,dp_rank,engine_hash,block_key,tiers");
        assertThat(state).contains("ns/svc/pod-b,0,0000000000000009,"
                + io.kvrelay.schemas.BlockKeyHex.of(BlockKeys.chain(TestBatches.tokensOf(9), 16, (String) null)[0])
                + ",GPU");
    }

    @Test
    void shouldReplayOnlyTheWindowAsked() throws Exception {
        // [t=3 s, t=6 s): pod-a's removal, pod-b's clear and its next store, one decision; the rest is outside.
        ReplayCommand.Result r = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(), TOPIC,
                new LogPosition.At(Instant.ofEpochMilli(T0 + 3_000)),
                new LogPosition.At(Instant.ofEpochMilli(T0 + 6_000)), Duration.ofSeconds(10), dir)
                .withDecisions(DECISIONS), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(r.records()).isEqualTo(5);
        JsonNode svc = service(r.report());
        assertThat(pod(svc, "pod-a").path("blocksRemoved").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-b").path("blocksStored").asLong()).isEqualTo(1);
        assertThat(pod(svc, "pod-c").isMissingNode()).isTrue();
        assertThat(svc.path("lifetimes").path("ended").asLong())
                .as("blocks stored before the window have no known lifetime").isZero();
        assertThat(svc.path("removedUnseen").asLong()).as("pod-a's block 2, stored before the window").isEqualTo(1);
        assertThat(svc.path("decisions").path("total").asLong()).isEqualTo(2);
    }

    @Test
    void shouldCountRecordsOfAWindowGivenAsOffsets() throws Exception {
        // Offset 1 in every partition to the end: each non-empty partition loses its first record.
        ReplayCommand.Result all = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(), TOPIC,
                null, null, Duration.ofSeconds(10), dir.resolve("all")), quiet());
        ReplayCommand.Result skip = ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(), TOPIC,
                new LogPosition.Offset(1), null, Duration.ofSeconds(10), dir.resolve("skip")), quiet());
        long nonEmpty = partitionsWithData();
        assertThat(skip.records()).isEqualTo(all.records() - nonEmpty);
    }

    @Test
    void shouldSayPlainlyWhenTheEventTopicDoesNotExist() {
        assertThatThrownBy(() -> ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(),
                "no-such-prefix.kv-events", null, null, Duration.ofSeconds(10), dir), quiet()))
                .isInstanceOf(ReplayCommand.CannotReplay.class).hasMessageContaining("no-such-prefix.kv-events");
        assertThatThrownBy(() -> ReplayCommand.run(ReplayCommand.ReplayJob.events(broker.bootstrapServers(), TOPIC,
                null, LogPosition.parse("9:100"), Duration.ofSeconds(10), dir), quiet()))
                .isInstanceOf(ReplayCommand.CannotReplay.class).hasMessageContaining("partition 9").hasMessageContaining("0..3");
    }

    private static long partitionsWithData() {
        try (EventLogReader reader = new EventLogReader(broker.bootstrapServers())) {
            EventLogReader.Window w = reader.window(TOPIC, null, null);
            return w.end().entrySet().stream().filter(e -> e.getValue() > w.start().get(e.getKey())).count();
        }
    }

    private static JsonNode service(JsonNode report) {
        for (JsonNode s : report.path("services")) {
            if (s.path("service").asText().equals("ns/svc")) {
                return s;
            }
        }
        throw new AssertionError("no service ns/svc in " + report);
    }

    private static JsonNode pod(JsonNode service, String pod) {
        for (JsonNode p : service.path("pods")) {
            if (p.path("pod").asText().equals(pod)) {
                return p;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static KvEventBatch batch(String pod, long seq, Object event) {
        return TestBatches.batch(pod, seq, event, T0 * 1000);
    }

    private static void send(KafkaProducer<byte[], byte[]> p, long ms, String pod, byte[] value) {
        written(p.send(new ProducerRecord<>(TOPIC, null, T0 + ms, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8),
                value)));
    }

    /** Each seed record acknowledged before the next is sent: the timeline is the test's premise, not a hope. */
    private static void written(java.util.concurrent.Future<?> ack) {
        try {
            ack.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("seeding the replay's timeline failed", e);
        }
    }

    private static void decide(KafkaProducer<byte[], byte[]> p, AvroCodec<RouteDecision> codec, long ms, String pod,
                               int routerSaw, long... hashes) {
        long[] keys = BlockKeys.chain(TestBatches.tokensOf(hashes), 16, (String) null);
        List<Long> k = new ArrayList<>();
        for (long x : keys) {
            k.add(x);
        }
        RouteDecision d = decision(pod, routerSaw, k).setAtMicros((T0 + ms) * 1000).build();
        written(p.send(new ProducerRecord<>(DECISIONS, null, T0 + ms, pod.getBytes(StandardCharsets.UTF_8),
                codec.encode(d))));
    }

    private static RouteDecision.Builder decision(String pod, int routerSaw, List<Long> keys) {
        List<CandidateScore> candidates = new ArrayList<>();
        for (String c : List.of("pod-a", "pod-b", "pod-c")) {
            candidates.add(new CandidateScore(c, c.equals(pod) ? routerSaw : 0, c.equals(pod) ? routerSaw : 0,
                    1.0, 0, 0, 0.0, null));
        }
        // As router-api writes them: the chosen pod by id, the candidates by name.
        return RouteDecision.newBuilder().setNamespace("ns").setService("svc").setUserId("u1").setLoraName(null)
                .setBlockKeys(keys).setChosenPod(pod == null ? null : "ns/svc/" + pod).setReason("best-cost-linked").setSticky(false)
                .setCandidates(candidates).setLatencyMicros(10).setAtMicros(T0 * 1000).setRouterId("it");
    }
}
