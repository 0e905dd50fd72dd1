package io.kvrelay.stream.topology;

import static io.kvrelay.stream.topology.Events.batch;
import static io.kvrelay.stream.topology.Events.removed;
import static io.kvrelay.stream.topology.Events.stored;
import static io.kvrelay.stream.topology.Events.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockLocality;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.query.LocalQueries;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.store.StoreNames;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 through the real topology: REMOTE blocks are never the worker's (yet chain), STORAGE is its own tier, and
 * cache salts and multimodal identifiers take part in the block keys exactly as the router computes them.
 */
class LocalityAndExtraKeysTest {
    private static final int BS = 4;
    private final Topics topics = Topics.defaults();
    private StreamMetrics metrics;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private LocalQueries queries;

    @BeforeEach
    void setUp() {
        metrics = StreamMetrics.inMemory();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(IndexTopology.build(topics, metrics, false), p);
        events = driver.createInputTopic(topics.kvEvents().name(), new ByteArraySerializer(), new ByteArraySerializer());
        PrefixIndexStore store = (PrefixIndexStore) driver.getStateStore(StoreNames.PREFIX_INDEX);
        queries = new LocalQueries(() -> store, () -> driver.getKeyValueStore(StoreNames.POD_STATE),
                Clock.systemUTC(), StreamAppConfig.local("unused:9092", null).liveness());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private void send(String pod, long seq, Object... evs) {
        events.pipeInput(Events.podId(pod).getBytes(StandardCharsets.UTF_8), batch(pod, 0, seq, evs));
    }

    private List<PrefixMatch.WorkerMatch> match(long[] keys) {
        QueryOutcome<PrefixMatch> o = queries.prefixMatch(new PrefixMatchRequest(Events.NS, Events.SVC, keys,
                List.of()));
        return ((QueryOutcome.Found<PrefixMatch>) o).value().workers();
    }

    private PrefixIndex index() {
        return ((PrefixIndexStore) driver.getStateStore(StoreNames.PREFIX_INDEX)).index();
    }

    private static BlockStored remote(BlockStored s) {
        s.setLocality(BlockLocality.REMOTE);
        return s;
    }

    private static BlockRemoved remote(BlockRemoved r) {
        r.setLocality(BlockLocality.REMOTE);
        return r;
    }

    @SafeVarargs
    private static BlockStored withKeys(BlockStored s, List<ExtraKey>... perBlock) {
        s.setExtraKeys(new ArrayList<>(Arrays.asList(perBlock)));
        return s;
    }

    private static ExtraKey key(ExtraKeyKind kind, String value) {
        return new ExtraKey(kind, value, null, null);
    }

    private static long[] keys(int[] tokens, String salt, BlockKeys.MmItem... mm) {
        return BlockKeys.keys(tokens, BS, BlockKeys.Extras.of(null, salt, List.of(mm)));
    }

    @Test
    void shouldNeverCountARemoteStoreAsTheWorkersBlock() {
        int[] t = tokens(100, 12);
        send("p0", 0, remote(stored(new long[] {1, 2, 3}, null, t)));

        assertThat(match(keys(t, null))).isEmpty();
        int w = index().findWorker(WorkerKeys.of(Events.podId("p0"), 0));
        assertThat(index().blockCount(w)).isZero();
        assertThat(index().entryCount()).isZero();
        assertThat(metrics.remoteStored.count()).isEqualTo(3);
        assertThat(metrics.blocksStored.count()).isZero();
    }

    /** A REMOTE block in the middle of a chain: the local block after it still gets its key, from the REMOTE one. */
    @Test
    void shouldChainLocalBlocksAcrossARemoteOne() {
        int[] t = tokens(100, 12);
        long[] k = keys(t, null);
        send("p0", 0, stored(new long[] {1}, null, Arrays.copyOfRange(t, 0, 4)));
        send("p0", 1, remote(stored(new long[] {2}, 1L, Arrays.copyOfRange(t, 4, 8))));
        send("p0", 2, stored(new long[] {3}, 2L, Arrays.copyOfRange(t, 8, 12)));

        assertThat(metrics.unknownParentBlocks.count()).as("the parent was known").isZero();
        int w = index().findWorker(WorkerKeys.of(Events.podId("p0"), 0));
        assertThat(index().keyOf(w, 3)).isEqualTo(k[2]);
        assertThat(index().keyOf(w, 2)).isEqualTo(k[1]);
        assertThat(match(k)).as("block 2 is not held: the prefix stops there")
                .containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 1, 1, 1));

        // The pod then stores block 2 itself: the whole chain is held, under the keys the router computes.
        send("p0", 3, stored(new long[] {2}, 1L, Arrays.copyOfRange(t, 4, 8)));
        assertThat(match(k)).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 3, 3, 3));

        // A REMOTE removal only drops the REMOTE mark; the local copy stays.
        send("p0", 4, remote(removed("GPU", 2, 77)));
        assertThat(match(k)).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 3, 3, 3));
        assertThat(metrics.remoteRemoved.count()).isEqualTo(2);
        assertThat(metrics.unknownRemoved.count()).isZero();
    }

    @Test
    void shouldNeverLetARemoteStoreRewriteALocalEntry() {
        int[] t = tokens(100, 8);
        send("p0", 0, stored(new long[] {1, 2}, null, t));
        // The same engine hash announced REMOTE under other tokens (a key of its own): the local entry stands.
        send("p0", 1, remote(stored(new long[] {2}, 1L, tokens(900, 4))));

        int w = index().findWorker(WorkerKeys.of(Events.podId("p0"), 0));
        assertThat(index().keyOf(w, 2)).isEqualTo(keys(t, null)[1]);
        assertThat(index().tiersOf(w, 2)).isEqualTo(Tier.GPU);
        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 2, 2, 2));
    }

    @Test
    void shouldKeepTheRemoteMappingThroughARestore() {
        int[] t = tokens(100, 8);
        send("p0", 0, remote(stored(new long[] {1}, null, Arrays.copyOfRange(t, 0, 4))));

        PrefixIndex rebuilt = new PrefixIndex();
        EventApplier.rebuild(rebuilt, driver.getKeyValueStore(StoreNames.WORKER_BLOCKS));

        int w = rebuilt.findWorker(WorkerKeys.of(Events.podId("p0"), 0));
        assertThat(rebuilt.keyOf(w, 1)).isEqualTo(keys(t, null)[0]);
        assertThat(rebuilt.tiersOf(w, 1)).isEqualTo(Tier.REMOTE);
        assertThat(rebuilt.entryCount()).isZero();

        send("p0", 1, remote(removed(null, 1)));
        assertThat(driver.getKeyValueStore(StoreNames.WORKER_BLOCKS).approximateNumEntries()).isZero();
    }

    @Test
    void shouldIndexStorageAndUnknownMediaAsTheStorageTier() {
        int[] t = tokens(100, 12);
        send("p0", 0, stored(new long[] {1}, null, Arrays.copyOfRange(t, 0, 4), BS, "GPU", null));
        send("p0", 1, stored(new long[] {2}, 1L, Arrays.copyOfRange(t, 4, 8), BS, "CPU", null));
        send("p0", 2, stored(new long[] {3}, 2L, Arrays.copyOfRange(t, 8, 12), BS, "STORAGE", null));
        send("p1", 0, stored(new long[] {1, 2}, null, Arrays.copyOfRange(t, 0, 8), BS, "lmcache", null));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 3, 1, 2),
                new PrefixMatch.WorkerMatch("p1", 0, 2, 0, 0));
        assertThat(metrics.unknownMediumBlocks.count()).isEqualTo(2);
    }

    @Test
    void shouldMatchASaltedPromptOnlyWithItsSalt() {
        int[] t = tokens(100, 12);
        send("p0", 0, withKeys(stored(new long[] {1, 2, 3}, null, t),
                List.of(key(ExtraKeyKind.CACHE_SALT, "tenant-a")), List.of(), List.of()));
        send("p1", 0, stored(new long[] {1, 2, 3}, null, t));

        assertThat(match(keys(t, "tenant-a"))).extracting(PrefixMatch.WorkerMatch::pod).containsExactly("p0");
        assertThat(match(keys(t, "tenant-b"))).isEmpty();
        assertThat(match(keys(t, null))).extracting(PrefixMatch.WorkerMatch::pod).containsExactly("p1");
        // A later event chained to the salted prompt carries no salt: it inherits it through the parent.
        int[] longer = tokens(100, 16);
        send("p0", 1, stored(new long[] {4}, 3L, Arrays.copyOfRange(longer, 12, 16)));
        assertThat(match(keys(longer, "tenant-a"))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 4, 4, 4));
    }

    @Test
    void shouldKeyImagesFromTheBlockTheyTouch() {
        int[] t = tokens(100, 12);
        ExtraKey img = new ExtraKey(ExtraKeyKind.MM, null, ByteBuffer.wrap(new byte[] {(byte) 0xab, 0x01}), 1L);
        // Placeholders at tokens 5..6: block 1 only. Sent as a digest: the identifier is its lowercase hex.
        send("p0", 0, withKeys(stored(new long[] {1, 2, 3}, null, t), List.of(), List.of(img), List.of()));

        long[] withImage = keys(t, null, new BlockKeys.MmItem("ab01", 5, 2));
        long[] other = keys(t, null, new BlockKeys.MmItem("cd02", 5, 2));
        assertThat(match(withImage)).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 3, 3, 3));
        assertThat(match(other)).as("same tokens, another image").containsExactly(
                new PrefixMatch.WorkerMatch("p0", 0, 1, 1, 1));
        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 1, 1, 1));
    }

    @Test
    void shouldKeyLoraOnlyExtraKeysAsBefore() {
        int[] t = tokens(100, 8);
        List<ExtraKey> lora = List.of(key(ExtraKeyKind.LORA, "sql"));
        List<ExtraKey> legacy = List.of(key(ExtraKeyKind.LEGACY, "sql"));
        send("p0", 0, withKeys(stored(new long[] {1, 2}, null, t, BS, "GPU", "sql"), lora, lora));
        send("p1", 0, withKeys(stored(new long[] {1, 2}, null, t, BS, "GPU", "sql"), legacy, List.of()));
        // A publisher that sends the adapter only as a typed key.
        send("p2", 0, withKeys(stored(new long[] {1, 2}, null, t, BS, "GPU", null), lora, lora));

        assertThat(match(BlockKeys.chain(t, BS, "sql"))).extracting(PrefixMatch.WorkerMatch::matched)
                .containsExactly(2, 2, 2);
    }

    @Test
    void shouldSkipAndCountBlocksWhoseKeysCannotBeReproduced() {
        int[] t = tokens(100, 12);
        List<ExtraKey> embeds = List.of(new ExtraKey(ExtraKeyKind.PROMPT_EMBEDS, null,
                ByteBuffer.wrap(new byte[32]), null));
        send("p0", 0, withKeys(stored(new long[] {1, 2, 3}, null, t), List.of(), embeds, List.of()));
        send("p1", 0, withKeys(stored(new long[] {1, 2, 3}, null, t), List.of(key(ExtraKeyKind.LEGACY, "x")),
                List.of(), List.of()));
        send("p2", 0, withKeys(stored(new long[] {1, 2, 3}, null, t), List.of()));
        send("p3", 0, withKeys(stored(new long[] {1, 2, 3}, null, t),
                List.of(key(ExtraKeyKind.UNKNOWN_EXTRA_KEY, "?")), List.of(), List.of()));

        assertThat(match(keys(t, null))).containsExactly(new PrefixMatch.WorkerMatch("p0", 0, 1, 1, 1));
        assertThat(metrics.promptEmbedsBlocks.count()).isEqualTo(2);
        assertThat(metrics.unusableExtraKeyBlocks.count()).as("legacy 3, misaligned 3, unknown 3").isEqualTo(9);
        assertThat(metrics.blocksStored.count()).isEqualTo(1);
    }
}
