package io.kvrelay.ingest.decode;

import static io.kvrelay.ingest.decode.KvEventDecoderTest.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.decode.KvEventDecoderTest.Body;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.ExtraKey;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;

/** extra_keys: the typed entries of the newest vLLM, untyped (legacy) ones of older vLLM, and what is skipped. */
class ExtraKeysTest {
    final KvEventDecoder decoder = new KvEventDecoder();
    int skipped;

    /** Decodes a map BlockStored whose extra_keys the body writes; returns extraKeys as EventView shows them. */
    private Object extraKeys(Body value) throws Exception {
        DecodedBatch b = decoder.decode(batch(1, p -> {
            p.packMapHeader(5).packString("type").packString("BlockStored").packString("block_hashes")
                .packArrayHeader(0).packString("token_ids").packArrayHeader(0).packString("block_size").packInt(4)
                .packString("extra_keys");
            value.write(p);
        }));
        skipped = b.skippedFields();
        BlockStored s = (BlockStored) b.events().get(0);
        return s.getExtraKeys() == null ? null : EventView.extraKeys(s.getExtraKeys());
    }

    /** One block whose tuple is the body's {@code count} values. */
    private Object oneBlock(int count, Body keys) throws Exception {
        return extraKeys(p -> {
            p.packArrayHeader(1).packArrayHeader(count);
            keys.write(p);
        });
    }

    private static Map<String, Object> key(String kind, String value) {
        return EventView.key(kind, value);
    }

    private static void map(MessageBufferPacker p, String... keyValues) throws java.io.IOException {
        p.packMapHeader(keyValues.length / 2);
        for (String s : keyValues) {
            p.packString(s);
        }
    }

    @Test
    void shouldReadEveryTypedKindAsVllmMainWritesIt() throws Exception {
        Object keys = extraKeys(p -> {
            p.packArrayHeader(2);
            p.packArrayHeader(3);
            map(p, "type", "lora", "name", "sql-adapter");
            map(p, "type", "cache_salt", "salt", "tenant-7");
            p.packMapHeader(3).packString("type").packString("mm").packString("identifier").packString("img-1")
                .packString("offset").packInt(2);
            p.packArrayHeader(2);
            p.packMapHeader(2).packString("type").packString("prompt_embeds").packString("hash").packBinaryHeader(4)
                .writePayload(HexFormat.of().parseHex("cafebabe"));
            p.packMapHeader(2).packString("type").packString("legacy").packString("value").packArrayHeader(2)
                .packString("mm-hash").packInt(0);
        });

        assertThat(keys).isEqualTo(List.of(
            List.of(key("LORA", "sql-adapter"), key("CACHE_SALT", "tenant-7"),
                Map.of("kind", "MM", "value", "img-1", "offset", 2L)),
            List.of(Map.of("kind", "PROMPT_EMBEDS", "value", "cafebabe", "digest", "cafebabe"),
                key("LEGACY", "[\"mm-hash\",0]"))));
        assertThat(skipped).isZero();
    }

    @Test
    void shouldReadAMultimodalHashSentAsBytesAsHexAndDigest() throws Exception {
        Object keys = oneBlock(1, p -> p.packMapHeader(3).packString("offset").packInt(-3).packString("identifier")
            .packBinaryHeader(2).writePayload(new byte[] {0, (byte) 0xff}).packString("type").packString("mm"));

        assertThat(keys).isEqualTo(List.of(List.of(Map.of("kind", "MM", "value", "00ff", "digest", "00ff",
            "offset", -3L))));
    }

    @Test
    void shouldMatchTagsIgnoringCaseAndTakeTheTypeKeyAnywhere() throws Exception {
        Object keys = oneBlock(2, p -> {
            map(p, "name", "Alice", "type", "LoRA");
            map(p, "extra", "ignored?", "type", "Cache_Salt", "salt", "s");
        });

        // A known kind under a key we do not know: its first string stands in, until a known key is seen.
        assertThat(keys).isEqualTo(List.of(List.of(key("LORA", "Alice"), key("CACHE_SALT", "s"))));
    }

    @Test
    void shouldKeepAnUnknownTagAsUnknownWithItsFirstString() throws Exception {
        Object keys = oneBlock(3, p -> {
            p.packMapHeader(3).packString("type").packString("speculative").packString("weight").packInt(2)
                .packString("label").packString("draft-a");
            p.packMapHeader(1).packString("type").packString("only-a-tag");
            map(p, "label", "no type at all");
        });

        assertThat(keys).isEqualTo(List.of(List.of(key("UNKNOWN_EXTRA_KEY", "draft-a"),
            key("UNKNOWN_EXTRA_KEY", null), key("UNKNOWN_EXTRA_KEY", "no type at all"))));
        assertThat(skipped).isZero();
    }

    @Test
    void shouldReadUntypedKeysOfOlderVllmAsLegacyText() throws Exception {
        BigInteger u64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        Object keys = oneBlock(6, p -> {
            p.packString("Alice");                                            // LoRA name
            p.packArrayHeader(2).packString("mm-hash").packInt(0);            // (identifier, offset)
            p.packInt(42);
            p.packBinaryHeader(2).writePayload(new byte[] {1, 2});            // prompt-embeds digest
            p.packArrayHeader(4).packString("q\"\\\n").packBoolean(true).packDouble(0.5).packBigInteger(u64);
            p.packArrayHeader(1).packMapHeader(2).packInt(1).packNil().packString("k").packBinaryHeader(1)
                .writePayload(new byte[] {(byte) 0xab});
        });

        assertThat(keys).isEqualTo(List.of(List.of(key("LEGACY", "Alice"), key("LEGACY", "[\"mm-hash\",0]"),
            key("LEGACY", "42"), Map.of("kind", "LEGACY", "value", "0102", "digest", "0102"),
            key("LEGACY", "[\"q\\\"\\\\\\u000a\",true,0.5,18446744073709551615]"),
            key("LEGACY", "[{\"1\":null,\"k\":\"ab\"}]"))));
    }

    @Test
    void shouldAcceptEveryShapeOfABlocksEntry() throws Exception {
        Object keys = extraKeys(p -> {
            p.packArrayHeader(5).packNil().packArrayHeader(0).packString("Alice");  // nil, empty tuple, bare key
            map(p, "type", "lora", "name", "Bob");                                    // bare typed key
            p.packArrayHeader(3).packNil().packString("x").packNil();                 // nils inside a tuple: no key
        });

        assertThat(keys).isEqualTo(List.of(List.of(), List.of(), List.of(key("LEGACY", "Alice")),
            List.of(key("LORA", "Bob")), List.of(key("LEGACY", "x"))));
        assertThat(skipped).isZero();
    }

    @Test
    void shouldTellNotSentFromNoBlocksAndSkipAFieldThatIsNotAList() throws Exception {
        assertThat(extraKeys(p -> p.packNil())).isNull();
        assertThat(skipped).isZero();
        assertThat(extraKeys(p -> p.packArrayHeader(0))).isEqualTo(List.of());
        assertThat(extraKeys(p -> p.packString("Alice"))).isNull();
        assertThat(skipped).isOne();
    }

    @Test
    void shouldSkipAndCountMistypedPartsButKeepTheKey() throws Exception {
        Object keys = oneBlock(3, p -> {
            p.packMapHeader(3).packString("type").packString("mm").packString("identifier").packString("img")
                .packString("offset").packString("2");
            p.packMapHeader(2).packString("type").packInt(3).packString("name").packString("n");
            p.packExtensionTypeHeader((byte) 1, 1).writePayload(new byte[] {0});
        });

        assertThat(keys).isEqualTo(List.of(List.of(key("MM", "img"), key("UNKNOWN_EXTRA_KEY", "n"))));
        assertThat(skipped).isEqualTo(3);  // the string offset, the int tag, the extension value
    }

    @Test
    void shouldBoundHowDeepALegacyValueIsRendered() throws Exception {
        int depth = 100_000;  // far deeper than a recursive reader's stack
        Object keys = oneBlock(1, p -> {
            for (int i = 0; i < depth; i++) {
                p.packArrayHeader(1);
            }
            p.packInt(1);
        });

        String text = (String) ((Map<?, ?>) ((List<?>) ((List<?>) keys).get(0)).get(0)).get("value");
        assertThat(text).startsWith("[[[[[[[[[\"...\"]").hasSize(9 + 5 + 9);
        assertThat(skipped).isOne();
    }

    @Test
    void shouldShareOneEmptyListAcrossBlocksWithoutKeys() throws Exception {
        DecodedBatch b = decoder.decode(batch(1, p -> p.packArrayHeader(9).packString("BlockStored")
            .packArrayHeader(0).packNil().packArrayHeader(0).packInt(4).packNil().packString("GPU").packNil()
            .packArrayHeader(3).packNil().packNil().packNil()));
        List<List<ExtraKey>> keys = ((BlockStored) b.events().get(0)).getExtraKeys();
        assertThat(keys).hasSize(3).allMatch(List::isEmpty);
        assertThat(keys.get(0)).isSameAs(keys.get(2));
    }
}
