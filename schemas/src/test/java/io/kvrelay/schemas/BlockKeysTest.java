package io.kvrelay.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BlockKeysTest {
    private static JsonNode vectors;

    @BeforeAll
    static void loadVectors() throws IOException {
        try (InputStream in = BlockKeysTest.class.getResourceAsStream("/block-key-vectors.json")) {
            assertThat(in).as("block-key-vectors.json on the classpath").isNotNull();
            vectors = new ObjectMapper().readTree(in);
        }
    }

    private static long hex(JsonNode n) {
        assertThat(n.asText()).matches("[0-9a-f]{16}");
        return Long.parseUnsignedLong(n.asText(), 16);
    }

    private static int[] ints(JsonNode n) {
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).intValue();
        }
        return out;
    }

    private static String text(JsonNode n) {
        return n.isNull() ? null : n.asText();
    }

    @Test
    void shouldMatchThePublishedSeed() {
        assertThat(hex(vectors.get("seed"))).isEqualTo(BlockKeys.SEED);
        assertThat(ByteBuffer.allocate(8).putLong(BlockKeys.SEED).array()).asString().isEqualTo("kvrelay1");
    }

    @Test
    void shouldRecomputeEveryExtraKeyVector() {
        assertThat(vectors.get("extraKeys")).isNotEmpty();
        for (JsonNode v : vectors.get("extraKeys")) {
            assertThat(BlockKeys.extraKey(text(v.get("loraName")))).as("extraKey(%s)", v.get("loraName"))
                    .isEqualTo(hex(v.get("extraKey")));
        }
    }

    @Test
    void shouldRecomputeEveryNextVector() {
        assertThat(vectors.get("next")).isNotEmpty();
        for (JsonNode v : vectors.get("next")) {
            int[] tokens = ints(v.get("tokens"));
            long key = BlockKeys.next(hex(v.get("parentKey")), hex(v.get("extraKey")), tokens, 0, tokens.length);
            assertThat(key).as("next %s", v).isEqualTo(hex(v.get("key")));
        }
    }

    @Test
    void shouldRecomputeEveryChainVector() {
        assertThat(vectors.get("chains")).hasSizeGreaterThanOrEqualTo(5);
        for (JsonNode v : vectors.get("chains")) {
            String lora = text(v.get("loraName"));
            int[] tokens = ints(v.get("tokens"));
            int blockSize = v.get("blockSize").intValue();
            long[] expected = new long[v.get("keys").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = hex(v.get("keys").get(i));
            }
            assertThat(BlockKeys.extraKey(lora)).isEqualTo(hex(v.get("extraKey")));
            assertThat(BlockKeys.chain(tokens, blockSize, lora)).as(v.get("name").asText()).containsExactly(expected);
        }
    }

    /** The documented byte layout, built by hand, is what is hashed: guards the javadoc and BLOCK_KEYS.md. */
    @Test
    void shouldHashTheDocumentedLittleEndianLayout() {
        long parent = 0x0123456789abcdefL;
        long extra = BlockKeys.extraKey("sql-adapter");
        int[] tokens = {7, -1, Integer.MAX_VALUE, 0, 151_643};
        ByteBuffer bytes = ByteBuffer.allocate(16 + 4 * tokens.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(parent).putLong(extra);
        for (int t : tokens) {
            bytes.putInt(t);
        }
        long reference = LongHashFunction.xx3(0x6b7672656c617931L).hashBytes(bytes.array());

        assertThat(BlockKeys.next(parent, extra, tokens, 0, tokens.length)).isEqualTo(reference);
        assertThat(bytes.array()[0]).isEqualTo((byte) 0xef); // least significant byte of the parent first
        assertThat(BlockKeys.extraKey("sql-adapter"))
                .isEqualTo(LongHashFunction.xx3(0x6b7672656c617931L).hashBytes("sql-adapter".getBytes(UTF_8)));
    }

    @Test
    void shouldEqualRepeatedNextWhenChaining() {
        Random rnd = new Random(7);
        int[] tokens = rnd.ints(16 * 9 + 5, 0, 200_000).toArray();
        long extra = BlockKeys.extraKey("x");
        long[] out = new long[20];

        int n = BlockKeys.chain(tokens, 16, extra, out);

        assertThat(n).isEqualTo(9);
        long parent = BlockKeys.ROOT;
        for (int i = 0; i < n; i++) {
            parent = BlockKeys.next(parent, extra, tokens, 16 * i, 16 * i + 16);
            assertThat(out[i]).isEqualTo(parent);
        }
        assertThat(BlockKeys.chain(tokens, 16, extra, new long[4])).as("capped by out.length").isEqualTo(4);
    }

    @Test
    void shouldNeverReturnNoKey() {
        Random rnd = new Random(11);
        int[] tokens = new int[8];
        for (int i = 0; i < 200_000; i++) {
            tokens[rnd.nextInt(8)] = rnd.nextInt();
            assertThat(BlockKeys.next(rnd.nextLong(), i % 3 == 0 ? 0 : rnd.nextLong(), tokens, 0, 1 + (i & 7)))
                    .isNotEqualTo(BlockKeys.NO_KEY);
        }
        assertThat(BlockKeys.extraKey("sql-adapter")).isNotEqualTo(0L);
    }

    @Test
    void shouldSeparateLoraAdapters() {
        int[] tokens = java.util.stream.IntStream.range(0, 64).toArray();
        long[] none = BlockKeys.chain(tokens, 16, null);
        long[] sql = BlockKeys.chain(tokens, 16, "sql-adapter");
        long[] other = BlockKeys.chain(tokens, 16, "sql-adapter2");

        assertThat(BlockKeys.chain(tokens, 16, "")).containsExactly(none);
        for (int i = 0; i < none.length; i++) {
            assertThat(Set.of(none[i], sql[i], other[i])).hasSize(3);
        }
    }

    @Test
    void shouldSeparateParentsAndPositions() {
        int[] block = {1, 2, 3, 4};
        Set<Long> keys = new HashSet<>();
        for (long parent = 0; parent < 1000; parent++) {
            keys.add(BlockKeys.next(parent, 0, block, 0, 4));
        }
        assertThat(keys).hasSize(1000);
        // The same tokens at a different depth of the chain get a different key.
        long[] chain = BlockKeys.chain(new int[] {1, 2, 3, 4, 1, 2, 3, 4}, 4, null);
        assertThat(chain[0]).isNotEqualTo(chain[1]);
    }

    @Test
    void shouldHashOnlyTheGivenRange() {
        int[] tokens = {9, 9, 1, 2, 3, 9};
        assertThat(BlockKeys.next(5, 6, tokens, 2, 5)).isEqualTo(BlockKeys.next(5, 6, new int[] {1, 2, 3}, 0, 3));
        int[] big = new int[1000];
        assertThat(BlockKeys.next(5, 6, big, 0, 1000)).as("longer than the initial scratch")
                .isEqualTo(BlockKeys.next(5, 6, new int[1000], 0, 1000));
    }

    @Test
    void shouldRejectBadArguments() {
        assertThatThrownBy(() -> BlockKeys.next(0, 0, new int[4], 2, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> BlockKeys.chain(new int[4], 0, null)).isInstanceOf(IllegalArgumentException.class);
    }

    private static BlockKeys.Extras extrasOf(JsonNode v) {
        List<BlockKeys.MmItem> mm = new ArrayList<>();
        for (JsonNode m : v.get("multimodal")) {
            mm.add(new BlockKeys.MmItem(m.get("identifier").asText(), m.get("offset").intValue(),
                    m.get("length").intValue()));
        }
        return BlockKeys.Extras.of(text(v.get("loraName")), text(v.get("cacheSalt")), mm);
    }

    @Test
    void shouldRecomputeEveryBlockExtraVector() {
        assertThat(vectors.get("blockExtras")).isNotEmpty();
        for (JsonNode v : vectors.get("blockExtras")) {
            JsonNode ids = v.get("identifiers");
            long[] idKeys = new long[ids.size()];
            for (int i = 0; i < idKeys.length; i++) {
                idKeys[i] = BlockKeys.stringKey(ids.get(i).asText());
            }
            long x = BlockKeys.blockExtra(BlockKeys.extraKey(text(v.get("loraName"))),
                    BlockKeys.stringKey(text(v.get("cacheSalt"))), idKeys, 0, idKeys.length);
            assertThat(x).as("blockExtra %s", v).isEqualTo(hex(v.get("extraKey")));
        }
    }

    @Test
    void shouldRecomputeEveryPromptChainVector() {
        assertThat(vectors.get("promptChains")).hasSizeGreaterThanOrEqualTo(5);
        for (JsonNode v : vectors.get("promptChains")) {
            long[] expected = new long[v.get("keys").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = hex(v.get("keys").get(i));
            }
            assertThat(BlockKeys.keys(ints(v.get("tokens")), v.get("blockSize").intValue(), extrasOf(v)))
                    .as(v.get("name").asText()).containsExactly(expected);
        }
    }

    /** Requests and data without salt and items keep the keys of before: the published chains are unchanged. */
    @Test
    void shouldKeepTheKeysOfPromptsWithoutSaltOrItems() {
        for (JsonNode v : vectors.get("chains")) {
            int[] tokens = ints(v.get("tokens"));
            int bs = v.get("blockSize").intValue();
            String lora = text(v.get("loraName"));
            long[] before = BlockKeys.chain(tokens, bs, lora);
            assertThat(BlockKeys.keys(tokens, bs, BlockKeys.Extras.of(lora, null, null))).containsExactly(before);
            assertThat(BlockKeys.keys(tokens, bs, BlockKeys.Extras.of(lora, "", List.of()))).containsExactly(before);
            assertThat(BlockKeys.keys(tokens, bs, BlockKeys.Extras.lora(lora))).containsExactly(before);
        }
        assertThat(BlockKeys.blockExtra(77L, 0L, new long[0], 0, 0)).isEqualTo(77L);
    }

    @Test
    void shouldSeparateSaltsOnEveryBlockButMatchTheSameSalt() {
        int[] tokens = java.util.stream.IntStream.range(0, 64).toArray();
        long[] plain = BlockKeys.chain(tokens, 16, null);
        long[] a = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of(null, "tenant-a", null));
        long[] a2 = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of(null, "tenant-a", List.of()));
        long[] b = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of(null, "tenant-b", null));
        long[] loraA = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of("sql-adapter", "tenant-a", null));

        assertThat(a).containsExactly(a2);
        for (int i = 0; i < plain.length; i++) {
            assertThat(Set.of(plain[i], a[i], b[i], loraA[i])).as("block %d", i).hasSize(4);
        }
        // Only the first block carries the salt; the others differ through the chain.
        assertThat(a[1]).isEqualTo(BlockKeys.next(a[0], 0L, tokens, 16, 32));
    }

    @Test
    void shouldChangeKeysFromTheFirstBlockAnImageTouches() {
        int[] tokens = java.util.stream.IntStream.range(0, 64).toArray();
        long[] plain = BlockKeys.chain(tokens, 16, null);
        // An image whose placeholders are tokens 20..35: blocks 1 and 2.
        long[] img0 = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of(null, null,
                List.of(new BlockKeys.MmItem("img-0", 20, 16))));
        long[] img1 = BlockKeys.keys(tokens, 16, BlockKeys.Extras.of(null, null,
                List.of(new BlockKeys.MmItem("img-1", 20, 16))));

        assertThat(img0[0]).isEqualTo(plain[0]).isEqualTo(img1[0]);
        for (int i = 1; i < 4; i++) {
            assertThat(Set.of(plain[i], img0[i], img1[i])).as("block %d", i).hasSize(3);
        }
        long x1 = BlockKeys.blockExtra(0L, 0L, new long[] {BlockKeys.stringKey("img-0")}, 0, 1);
        assertThat(img0[1]).isEqualTo(BlockKeys.next(plain[0], x1, tokens, 16, 32));
        assertThat(img0[3]).as("block 3: no item, plain extra").isEqualTo(BlockKeys.next(img0[2], 0L, tokens, 48, 64));
    }

    /** The chain mixes identifiers without blockExtra's buffer: it must give blockExtra's bits, for 1..n items. */
    @Test
    void shouldMixItemsAsBlockExtraDoes() {
        int[] tokens = new Random(5).ints(64, 0, 150_000).toArray();
        for (int items = 1; items <= 40; items++) {
            List<BlockKeys.MmItem> mm = new ArrayList<>();
            long[] ids = new long[items];
            for (int j = 0; j < items; j++) {
                mm.add(new BlockKeys.MmItem("img-" + j, 16 + j, 1)); // all in block 1 (tokens 16..31) up to 16
                ids[j] = BlockKeys.stringKey("img-" + j);
            }
            long[] keys = BlockKeys.keys(tokens, 64, BlockKeys.Extras.of("sql", "salt", mm));
            long x = BlockKeys.blockExtra(BlockKeys.extraKey("sql"), BlockKeys.stringKey("salt"), ids, 0, items);
            assertThat(keys[0]).as("%d items", items).isEqualTo(BlockKeys.next(BlockKeys.ROOT, x, tokens, 0, 64));
        }
    }

    @Test
    void shouldSortItemsAndRejectBadOnes() {
        int[] tokens = java.util.stream.IntStream.range(0, 32).toArray();
        BlockKeys.MmItem a = new BlockKeys.MmItem("a", 2, 3);
        BlockKeys.MmItem b = new BlockKeys.MmItem("b", 9, 10);
        assertThat(BlockKeys.keys(tokens, 8, BlockKeys.Extras.of(null, null, List.of(b, a))))
                .containsExactly(BlockKeys.keys(tokens, 8, BlockKeys.Extras.of(null, null, List.of(a, b))));
        assertThat(BlockKeys.Extras.of(null, null, List.of(b, a)).items()).containsExactly(a, b);

        assertThatThrownBy(() -> BlockKeys.Extras.of(null, null, List.of(a, new BlockKeys.MmItem("c", 4, 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
        assertThatThrownBy(() -> new BlockKeys.MmItem("", 0, 1)).hasMessageContaining("identifier");
        assertThatThrownBy(() -> new BlockKeys.MmItem("x", -1, 1)).hasMessageContaining("offset");
        assertThatThrownBy(() -> new BlockKeys.MmItem("x", 0, 0)).hasMessageContaining("length");
        assertThatThrownBy(() -> BlockKeys.Extras.of(null, "s".repeat(BlockKeys.Extras.MAX_TEXT + 1), null))
                .hasMessageContaining("cacheSalt");
        List<BlockKeys.MmItem> many = new ArrayList<>();
        for (int i = 0; i <= BlockKeys.Extras.MAX_ITEMS; i++) {
            many.add(new BlockKeys.MmItem("i" + i, i, 1));
        }
        assertThatThrownBy(() -> BlockKeys.Extras.of(null, null, many)).hasMessageContaining("at most");
        BlockKeys.Extras within = BlockKeys.Extras.of(null, null, List.of(b));
        within.requireWithin(19);
        assertThatThrownBy(() -> within.requireWithin(18)).hasMessageContaining("past the prompt");
    }

    @Test
    void shouldFormatKeysAsSixteenHexDigits() {
        assertThat(BlockKeys.toHex(1L)).isEqualTo("0000000000000001");
        assertThat(BlockKeys.toHex(-1L)).isEqualTo("ffffffffffffffff");
    }
}
