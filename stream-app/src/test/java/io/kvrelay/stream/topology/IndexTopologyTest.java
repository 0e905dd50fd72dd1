package io.kvrelay.stream.topology;

import static io.kvrelay.stream.topology.Events.batch;
import static io.kvrelay.stream.topology.Events.cleared;
import static io.kvrelay.stream.topology.Events.command;
import static io.kvrelay.stream.topology.Events.encode;
import static io.kvrelay.stream.topology.Events.removed;
import static io.kvrelay.stream.topology.Events.reset;
import static io.kvrelay.stream.topology.Events.status;
import static io.kvrelay.stream.topology.Events.statusBuilder;
import static io.kvrelay.stream.topology.Events.stored;
import static io.kvrelay.stream.topology.Events.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.query.LocalQueries;
import io.kvrelay.stream.query.PodView;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.store.StoreNames;
import io.kvrelay.testkit.MovableClock;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every event type and pod-state rule through the real topology, on {@link TopologyTestDriver}. */
class IndexTopologyTest {
    private static final int BS = 4;
    private final Topics topics = Topics.defaults();
    private final MovableClock clock = new MovableClock(1_700_000_000_000L);
    private StreamMetrics metrics;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestInputTopic<byte[], byte[]> statuses;
    private LocalQueries queries;

    @BeforeEach
    void setUp() {
        metrics = StreamMetrics.inMemory();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(IndexTopology.build(topics, metrics, false), p);
        events = driver.createInputTopic(topics.kvEvents().name(), new ByteArraySerializer(), new ByteArraySerializer());
        statuses = driver.createInputTopic(topics.podStatus().name(), new ByteArraySerializer(),
                new ByteArraySerializer());
        PrefixIndexStore store = (PrefixIndexStore) driver.getStateStore(StoreNames.PREFIX_INDEX);
        queries = new LocalQueries(() -> store, () -> driver.getKeyValueStore(StoreNames.POD_STATE), clock,
                StreamAppConfig.local("unused:9092", null).liveness());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private void send(String pod, byte[] value) {
        events.pipeInput(Events.podId(pod).getBytes(StandardCharsets.UTF_8), value);
    }

    private void sendStatus(String pod, byte[] value) {
        statuses.pipeInput(Events.podId(pod).getBytes(StandardCharsets.UTF_8), value);
    }

    private List<PrefixMatch.WorkerMatch> match(long[] keys, String... pods) {
        QueryOutcome<PrefixMatch> o = queries.prefixMatch(new PrefixMatchRequest(Events.NS, Events.SVC, keys,
                List.of(pods)));
        assertThat(o).isInstanceOf(QueryOutcome.Found.class);
        return ((QueryOutcome.Found<PrefixMatch>) o).value().workers();
    }

    private PodView pod(String pod) {
        QueryOutcome<PodView> o = queries.pod(Events.NS, Events.SVC, pod);
        assertThat(o).isInstanceOf(QueryOutcome.Found.class);
        return ((QueryOutcome.Found<PodView>) o).value();
    }

    private static long[] keys(int[] tokens, String lora) {
        return BlockKeys.chain(tokens, BS, lora);
    }

    @Test
    void shouldIndexStoredBlocksUnderTheirChainedKeys() {
        int[] t = tokens(100, 12);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2, 3}, null, t)));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 3, 3, 3));
        assertThat(metrics.blocksStored.count()).isEqualTo(3);
    }

    @Test
    void shouldChainFromTheParentsKeyAcrossEvents() {
        int[] t = tokens(100, 16);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, tokens(100, 8))));
        send("p0", batch("p0", 0, 1, stored(new long[] {3, 4}, 2L, tokens(108, 8))));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 4, 4, 4));
    }

    @Test
    void shouldStopAtTheFirstKeyNobodyHolds() {
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, tokens(100, 8))));
        send("p1", batch("p1", 0, 0, stored(new long[] {7}, null, tokens(100, 4))));
        int[] longer = tokens(100, 16);

        assertThat(match(keys(longer, null))).containsExactly(
                new PrefixMatch.WorkerMatch("p0", 0, 2, 2, 2), new PrefixMatch.WorkerMatch("p1", 0, 1, 1, 1));
        assertThat(match(keys(tokens(500, 8), null))).isEmpty();
    }

    @Test
    void shouldCountAndSkipBlocksWhoseParentIsUnknown() {
        send("p0", batch("p0", 0, 0, stored(new long[] {5, 6}, 99L, tokens(100, 8))));

        assertThat(match(keys(tokens(100, 8), null))).isEmpty();
        assertThat(metrics.unknownParentBlocks.count()).isEqualTo(2);
        assertThat(pod("p0").blocksHeld()).isZero();
    }

    @Test
    void shouldAddATierForTokenlessEventsOfKnownBlocksAndCountTheRest() {
        int[] t = tokens(100, 8);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, t)));
        // CPU offload of block 1 (known) and 9 (never stored with tokens).
        send("p0", batch("p0", 0, 1, stored(new long[] {1, 9}, null, new int[0], BS, "CPU", null)));
        // The GPU copy of block 1 goes; its CPU copy stays, block 2 stays on GPU.
        send("p0", batch("p0", 0, 2, removed("GPU", 1)));

        assertThat(metrics.tierAdds.count()).isEqualTo(1);
        assertThat(metrics.unkeyedBlocks.count()).isEqualTo(1);
        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 2, 0, 2));
    }

    @Test
    void shouldSkipStoredEventsWhoseTokenCountDoesNotMatch() {
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, tokens(100, 7))));

        assertThat(metrics.malformedStored.count()).isEqualTo(2);
        assertThat(match(keys(tokens(100, 8), null))).isEmpty();
    }

    @Test
    void shouldRemoveBlocksAndCountUnknownRemovals() {
        int[] t = tokens(100, 12);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2, 3}, null, t)));
        send("p0", batch("p0", 0, 1, removed("GPU", 3, 42)));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 2, 2, 2));
        assertThat(metrics.blocksRemoved.count()).isEqualTo(1);
        assertThat(metrics.unknownRemoved.count()).isEqualTo(1);
    }

    @Test
    void shouldKeepLoraAdaptersApart() {
        int[] t = tokens(100, 8);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, t, BS, "GPU", null)));
        send("p1", batch("p1", 0, 0, stored(new long[] {1, 2}, null, t, BS, "GPU", "sql")));

        assertThat(match(keys(t, null))).extracting(PrefixMatch.WorkerMatch::pod).containsExactly("p0");
        assertThat(match(keys(t, "sql"))).extracting(PrefixMatch.WorkerMatch::pod).containsExactly("p1");
    }

    @Test
    void shouldKeepServicesApart() {
        int[] t = tokens(100, 8);
        send("p0", batch("other-model", "p0", 0, 0, stored(new long[] {1, 2}, null, t)));

        assertThat(match(keys(t, null))).isEmpty();
    }

    @Test
    void shouldKeepDpRanksAsSeparateWorkersAndPurgeOnlyTheClearedOne() {
        int[] t = tokens(100, 8);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, t)));
        send("p0", batch("p0", 1, 0, stored(new long[] {1, 2}, null, t)));
        send("p1", batch("p1", 0, 0, stored(new long[] {1, 2}, null, t)));
        assertThat(match(keys(t, null))).hasSize(3);

        send("p0", batch("p0", 1, 1, cleared()));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 2, 2, 2),
                new PrefixMatch.WorkerMatch("p1", 0, 2, 2, 2));
        assertThat(metrics.entriesPurged.count()).isEqualTo(2);
    }

    @Test
    void shouldPurgeTheWorkerOnEveryResetReason() {
        int[] t = tokens(100, 8);
        for (WorkerResetReason reason : List.of(WorkerResetReason.PUBLISHER_RESTART,
                WorkerResetReason.UNRECOVERABLE_GAP, WorkerResetReason.POD_REMOVED)) {
            send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, t)));
            send("p1", batch("p1", 0, 0, stored(new long[] {1, 2}, null, t)));
            send("p0", batch("p0", 0, 1, reset(reason)));

            assertThat(match(keys(t, null))).as(reason.name()).extracting(PrefixMatch.WorkerMatch::pod)
                    .containsExactly("p1");
            KeyValueStore<Bytes, byte[]> blocks = driver.getKeyValueStore(StoreNames.WORKER_BLOCKS);
            assertThat(blocks.approximateNumEntries()).as(reason.name()).isEqualTo(2);
        }
    }

    @Test
    void shouldRestrictMatchesToTheCandidatePods() {
        int[] t = tokens(100, 8);
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, t)));
        send("p1", batch("p1", 0, 0, stored(new long[] {1, 2}, null, t)));

        assertThat(match(keys(t, null), "p1")).extracting(PrefixMatch.WorkerMatch::pod).containsExactly("p1");
    }

    @Test
    void shouldRebuildTheSameIndexFromTheWorkerBlocksStore() {
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2, 3}, null, tokens(100, 12))));
        send("p1", batch("p1", 1, 0, stored(new long[] {4, 5}, null, tokens(100, 8), BS, "CPU", "sql")));
        send("p0", batch("p0", 0, 1, removed("GPU", 3)));
        PrefixIndex live = ((PrefixIndexStore) driver.getStateStore(StoreNames.PREFIX_INDEX)).index();

        PrefixIndex rebuilt = new PrefixIndex();
        long n = EventApplier.rebuild(rebuilt, driver.getKeyValueStore(StoreNames.WORKER_BLOCKS));

        assertThat(n).isEqualTo(4);
        assertThat(IndexSnapshot.of(rebuilt)).isEqualTo(IndexSnapshot.of(live));
    }

    @Test
    void shouldMergeStatusLoadAndBlockSizeIntoPodState() {
        send("p0", batch("p0", 0, 0, stored(new long[] {1, 2}, null, tokens(100, 8))));
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 2));

        PodView v = pod("p0");
        assertThat(v.alive()).isTrue();
        assertThat(v.routable()).isTrue();
        assertThat(v.draining()).isFalse();
        assertThat(v.blockSize()).isEqualTo(BS);
        assertThat(v.blocksHeld()).isEqualTo(2);
        assertThat(v.address()).isEqualTo("10.0.0.7:8000");
        assertThat(v.podIndex()).isEqualTo(3);
        assertThat(v.load()).isEqualTo(new PodView.Load(2, 1, 0.25));
        assertThat(v.lastSequence()).isEqualTo(11L);
        assertThat(v.workers()).hasSize(2);
    }

    @Test
    void shouldDrainAndUndrainThroughThePodStatusTopic() {
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 1));
        statuses.pipeInput((Events.podId("p0") + "|command").getBytes(StandardCharsets.UTF_8), command("p0", true));

        PodView drained = pod("p0");
        assertThat(drained.alive()).isTrue();
        assertThat(drained.routable()).isFalse();
        assertThat(drained.draining()).isTrue();
        assertThat(drained.drainedBy()).isEqualTo("alice");

        // A later heartbeat does not undo the drain; an undrain does.
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 1));
        assertThat(pod("p0").routable()).isFalse();
        statuses.pipeInput((Events.podId("p0") + "|command").getBytes(StandardCharsets.UTF_8), command("p0", false));
        assertThat(pod("p0").routable()).isTrue();
    }

    @Test
    void shouldExpireAPodWhoseHeartbeatIsOlderThanTheTtlWhileItsBridgeReportsOthers() {
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 1));
        clock.advance(14_000);
        assertThat(pod("p0").alive()).isTrue();

        clock.advance(2_000);
        sendStatus("p1", status("p1", PodState.CONNECTED, clock.millis() * 1000, 1)); // the same bridge, still reporting
        PodView expired = pod("p0");
        assertThat(expired.alive()).isFalse();
        assertThat(expired.routable()).isFalse();
        assertThat(expired.stale()).isFalse();
        assertThat(expired.heartbeatAgeMs()).isEqualTo(16_000);
    }

    @Test
    void shouldKeepRoutingOnTheLastStateWhileTheWholeBridgeIsSilentForAtMostStaleMax() {
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 1));
        sendStatus("p1", status("p1", PodState.CONNECTED, clock.millis() * 1000, 1));
        sendStatus("p2", status("p2", PodState.DISCONNECTED, clock.millis() * 1000, 1));
        sendStatus("q0", encode(statusBuilder("q0", PodState.CONNECTED, clock.millis() * 1000, 1).setSource("other")));
        clock.advance(16_000);
        sendStatus("q1", encode(statusBuilder("q1", PodState.CONNECTED, clock.millis() * 1000, 1).setSource("other")));

        PodView p0 = pod("p0");
        assertThat(p0.stale()).as("bridge 'test' reports nothing any more: stale, not dead").isTrue();
        assertThat(p0.alive()).isTrue();
        assertThat(p0.routable()).isTrue();
        assertThat(p0.source()).isEqualTo("test");
        assertThat(pod("p2").routable()).as("last known DISCONNECTED stays unroutable").isFalse();
        assertThat(pod("q0").routable()).as("bridge 'other' still reports: q0 is gone").isFalse();
        assertThat(pod("q0").stale()).isFalse();
        assertThat(pod("q1").stale()).isFalse();
        List<PodView> listed = ((QueryOutcome.Found<LocalQueries.PodList>) queries.pods(Events.NS, Events.SVC))
                .value().pods();
        assertThat(listed).filteredOn(PodView::stale).extracting(PodView::pod).containsExactly("p0", "p1");

        clock.advance(170_000); // 186 s after the last report: past staleMaxMs (180 s)
        assertThat(pod("p0").routable()).isFalse();
        assertThat(pod("p0").stale()).isFalse();
    }

    /** A status of p0 whose metrics have not answered since {@code sinceMicros}. */
    private void sendLoadUnknown(long sinceMicros) {
        sendStatus("p0", encode(statusBuilder("p0", PodState.CONNECTED, clock.millis() * 1000, 1)
                .setRunningRequests(null).setWaitingRequests(null).setKvCacheUsage(null)
                .setLoadUnknownSinceMicros(sinceMicros)));
    }

    @Test
    void shouldSuspectAPodWhoseLoadIsUnknownThenStopRoutingToIt() {
        long since = clock.millis() * 1000 - 9_000_000;
        sendLoadUnknown(since);
        assertThat(pod("p0").suspect()).isFalse();

        clock.advance(2_000);
        sendLoadUnknown(since);
        PodView suspect = pod("p0");
        assertThat(suspect.suspect()).isTrue();
        assertThat(suspect.routable()).isTrue();
        assertThat(suspect.loadUnknownMs()).isEqualTo(11_000);

        clock.advance(50_000);
        sendLoadUnknown(since);
        PodView silent = pod("p0");
        assertThat(silent.alive()).isTrue();
        assertThat(silent.suspect()).isTrue();
        assertThat(silent.routable()).as("load unknown for 61 s").isFalse();

        clock.advance(1_000);
        sendStatus("p0", status("p0", PodState.CONNECTED, clock.millis() * 1000, 1));
        assertThat(pod("p0").suspect()).isFalse();
        assertThat(pod("p0").routable()).isTrue();
    }

    @Test
    void shouldNotCallADisconnectedOrRemovedPodAlive() {
        sendStatus("p0", status("p0", PodState.DISCONNECTED, clock.millis() * 1000, 1));
        sendStatus("p1", status("p1", PodState.REMOVED, clock.millis() * 1000, 1));

        assertThat(pod("p0").alive()).isFalse();
        assertThat(pod("p1").alive()).isFalse();
        QueryOutcome<LocalQueries.PodList> all = queries.pods(Events.NS, Events.SVC);
        assertThat(((QueryOutcome.Found<LocalQueries.PodList>) all).value().pods()).extracting(PodView::pod)
                .containsExactly("p0", "p1");
    }

    @Test
    void shouldCountAndSkipUndecodableRecords() {
        send("p0", new byte[] {1, 2, 3});
        sendStatus("p0", new byte[] {(byte) 0xC3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9});

        assertThat(metrics.undecodable.count()).isEqualTo(2);
        assertThat(queries.pod(Events.NS, Events.SVC, "p0")).isInstanceOf(QueryOutcome.NotFound.class);
    }
}
