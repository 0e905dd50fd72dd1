package io.kvrelay.sim.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * Re-encodes each vllm-wire fixture (real msgspec output) from the content its manifest describes and compares bytes.
 *
 * <p>The manifest lists only the fields consumers need; the rest was read off a hex dump of each file and is added
 * below per fixture ({@link #supplement}). Not re-encoded: {@code bad-not-a-batch} ({@code {"hello":"world"}}, no
 * batch to describe) and {@code bad-truncated} (checked instead to be a strict prefix of {@code array-full}'s bytes).
 */
class FixtureReencodeTest {
    /**
     * The repository's one copy of the fixtures, kept with the decoder's tests in ingest-bridge (which depends on this
     * module, not the other way round, so it cannot come through the classpath). Maven runs tests from the module's
     * directory.
     */
    private static final Path DIR = Path.of("..", "ingest-bridge", "src", "test", "resources", "vllm-wire");
    private static JsonNode manifest;

    @BeforeAll
    static void loadManifest() throws IOException {
        Path file = DIR.resolve("manifest.json");
        assertThat(file).as("fixtures at " + DIR.toAbsolutePath().normalize() + " (tests run from the module dir)")
                .isRegularFile();
        manifest = new ObjectMapper().readTree(file.toFile());
    }

    static Stream<Arguments> reproducible() {
        return Stream.of("array-legacy", "array-full", "map-events", "map-envelope", "bytes-hashes", "unknown-tag")
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reproducible")
    void reencodingTheManifestContentGivesTheFixtureBytes(String name) throws IOException {
        byte[] expected = Files.readAllBytes(DIR.resolve(name + ".msgpack"));
        JsonNode entry = manifest.get(name);
        assertThat(entry).as("manifest entry " + name).isNotNull();

        byte[] actual = encode(name, entry, readTs(expected));

        assertThat(HexFormat.of().formatHex(actual)).isEqualTo(HexFormat.of().formatHex(expected));
    }

    @Test
    void truncatedFixtureIsAStrictPrefixOfArrayFull() throws IOException {
        byte[] truncated = Files.readAllBytes(DIR.resolve("bad-truncated.msgpack"));
        byte[] full = encode("array-full", manifest.get("array-full"), readTs(truncated));
        assertThat(truncated.length).isLessThan(full.length);
        assertThat(Arrays.copyOf(full, truncated.length)).isEqualTo(truncated);
    }

    @Test
    void manifestListsNoFixtureThisTestIgnores() {
        List<String> names = new ArrayList<>();
        manifest.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("array-legacy", "array-full", "map-events", "map-envelope",
                "bytes-hashes", "unknown-tag", "bad-truncated", "bad-not-a-batch", "_notes");
    }

    private static byte[] encode(String name, JsonNode entry, double ts) {
        boolean mapEnvelope = entry.get("envelope").asText().equals("map");
        boolean mapEvents = entry.get("events").asText().equals("map");
        Integer rank = entry.get("data_parallel_rank").isNull() ? null : entry.get("data_parallel_rank").asInt();
        PayloadLayout layout = mapEnvelope ? PayloadLayout.MAP_ENVELOPE
                : mapEvents ? PayloadLayout.MAP_EVENTS
                : rank == null ? PayloadLayout.ARRAY_LEGACY : PayloadLayout.ARRAY_FULL;
        List<SimEvent> events = new ArrayList<>();
        Iterator<JsonNode> it = entry.get("events_expected").elements();
        for (int i = 0; it.hasNext(); i++) {
            events.add(supplement(name, i, fromManifest(it.next())));
        }
        if (name.equals("unknown-tag")) {
            // skipped_unknown: the manifest lists what a consumer keeps; the wire has a BlockPinned between them.
            events.add(1, new SimEvent.Unknown("BlockPinned", new long[] {0xDEADBEEF12345678L}));
        }
        boolean bytes = name.equals("bytes-hashes");
        PayloadEncoder encoder = new PayloadEncoder(layout, bytes ? HashEncoding.BYTES : HashEncoding.INT,
                bytes ? FixtureReencodeTest::consecutiveBytes : DigestPrefix.MIXED);
        return encoder.encode(ts, rank, events);
    }

    /** Fields on the wire that the manifest leaves out, read from each fixture's hex dump. */
    private static SimEvent supplement(String name, int index, SimEvent e) {
        String key = name + "#" + index;
        if (e instanceof SimEvent.Stored s) {
            return switch (key) {
                // extra_keys [nil, nil] (one per block), group_idx 0, kv_cache_spec_kind, sliding window nil.
                case "array-full#0" -> new SimEvent.Stored(s.hashes(), s.parent(), s.tokenIds(), s.blockSize(), null,
                        s.medium(), null, Arrays.asList(null, null), 0, "full_attention", null, null);
                // lora_id 7 and extra_keys [["sql-adapter"]] (the LoRA name is the block's extra key).
                case "map-events#0" -> new SimEvent.Stored(s.hashes(), s.parent(), s.tokenIds(), s.blockSize(), 7,
                        s.medium(), s.loraName(), List.of(List.of("sql-adapter")), 0, "full_attention", null, null);
                // The CPU offload event: no tokens, group_idx 0, nothing else.
                case "map-events#1" -> new SimEvent.Stored(s.hashes(), s.parent(), s.tokenIds(), s.blockSize(), null,
                        s.medium(), null, null, 0, null, null, null);
                default -> s;
            };
        }
        if (e instanceof SimEvent.Removed r) {
            return switch (key) {
                // Era #16750's builtin hash: the wire holds -5 (fb), the manifest its unsigned bits.
                case "array-legacy#1" -> r.withHashEncoding(HashEncoding.SIGNED_INT);
                case "array-full#1", "map-events#2" -> new SimEvent.Removed(r.hashes(), r.medium(), 0, null);
                default -> r;
            };
        }
        return e;
    }

    private static SimEvent fromManifest(JsonNode ev) {
        String type = ev.get("type").asText();
        long[] hashes = hashes(ev.get("block_hashes"));
        switch (type) {
            case "BlockStored": {
                JsonNode parent = ev.get("parent_block_hash");
                int[] tokens = new int[ev.get("token_ids").size()];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = ev.get("token_ids").get(i).asInt();
                }
                return new SimEvent.Stored(hashes, parent == null || parent.isNull() ? null
                        : Long.parseUnsignedLong(parent.asText()), tokens, ev.get("block_size").asInt(), null,
                        text(ev, "medium"), text(ev, "lora_name"), null, null, null, null, null);
            }
            case "BlockRemoved":
                return new SimEvent.Removed(hashes, text(ev, "medium"), null, null);
            case "AllBlocksCleared":
                return new SimEvent.Cleared();
            default:
                throw new IllegalArgumentException("manifest event type " + type);
        }
    }

    private static long[] hashes(JsonNode node) {
        if (node == null) {
            return new long[0];
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Long.parseUnsignedLong(node.get(i).asText());
        }
        return out;
    }

    private static String text(JsonNode ev, String field) {
        JsonNode n = ev.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** The fixture's digests are 32 consecutive byte values ending in the hash's bytes (0x00..0x1f, 0x64..0x83). */
    private static void consecutiveBytes(long hash, byte[] prefix) {
        int first = (int) (hash >>> 56) & 0xFF;
        for (int i = 0; i < prefix.length; i++) {
            prefix[i] = (byte) (first - prefix.length + i);
        }
    }

    /** The ts of a fixture: the first float of the array envelope or the "ts" entry of the map envelope. */
    private static double readTs(byte[] payload) throws IOException {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(payload)) {
            if (u.getNextFormat().getValueType() == org.msgpack.value.ValueType.MAP) {
                u.unpackMapHeader();
                assertThat(u.unpackString()).isEqualTo("ts");
            } else {
                u.unpackArrayHeader();
            }
            return u.unpackDouble();
        }
    }
}
