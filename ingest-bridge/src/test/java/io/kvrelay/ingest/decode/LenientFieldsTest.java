package io.kvrelay.ingest.decode;

import static io.kvrelay.ingest.decode.ArrayErasTest.NEWEST;
import static io.kvrelay.ingest.decode.ArrayErasTest.expectedView;
import static io.kvrelay.ingest.decode.ArrayErasTest.pack;
import static io.kvrelay.ingest.decode.ArrayErasTest.storedArray;
import static io.kvrelay.ingest.decode.ArrayErasTest.wireValue;
import static io.kvrelay.ingest.decode.KvEventDecoderTest.batch;
import static io.kvrelay.ingest.decode.KvEventDecoderTest.removedArray;
import static io.kvrelay.ingest.decode.KvEventDecoderTest.removedView;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessageBufferPacker;

/**
 * An optional field of an unexpected type is skipped, left null and counted in {@link DecodedBatch#skippedFields()};
 * the event and the batch are delivered. The envelope and a block's identity stay strict.
 */
class LenientFieldsTest {
    final KvEventDecoder decoder = new KvEventDecoder();

    /** A value of the wrong type for each optional field (a packer, since some are not plain Java values). */
    interface Bad {
        void write(MessageBufferPacker p) throws IOException;
    }

    static Stream<Arguments> mistyped() {
        return Stream.of(
            Arguments.of("lora_id", (Bad) p -> p.packString("3")),
            Arguments.of("lora_id", (Bad) p -> p.packBigInteger(BigInteger.ONE.shiftLeft(63))),
            Arguments.of("medium", (Bad) p -> p.packInt(5)),
            Arguments.of("lora_name", (Bad) p -> p.packArrayHeader(1).packInt(1)),
            Arguments.of("event_version", (Bad) p -> p.packString("2")),
            Arguments.of("extra_keys", (Bad) p -> p.packString("my-lora")),
            Arguments.of("extra_keys", (Bad) p -> p.packMapHeader(1).packString("lora").packString("x")),
            Arguments.of("group_idx", (Bad) p -> p.packLong(1L << 40)),
            Arguments.of("kv_cache_spec_kind", (Bad) p -> p.packInt(7)),
            Arguments.of("kv_cache_spec_sliding_window", (Bad) p -> p.packString("4096")),
            Arguments.of("locality", (Bad) p -> p.packInt(1)),
            Arguments.of("ownership", (Bad) p -> p.packMapHeader(1).packString("owner").packString("req-1")));
    }

    @ParameterizedTest(name = "array form: {0}")
    @MethodSource("mistyped")
    void shouldSkipAndCountAMistypedFieldOfAnArrayEvent(String field, Bad bad) throws Exception {
        DecodedBatch b = decoder.decode(batch(2, p -> {
            p.packArrayHeader(1 + NEWEST.size()).packString("BlockStored");
            for (String f : NEWEST) {
                if (f.equals(field)) {
                    bad.write(p);
                } else {
                    pack(p, wireValue(f));
                }
            }
            removedArray(p, 13);
        }));

        assertThat(EventView.of(b)).containsExactly(withoutField(field), removedView("13"));
        assertThat(b.skippedFields()).isOne();
    }

    @ParameterizedTest(name = "map form: {0}")
    @MethodSource("mistyped")
    void shouldSkipAndCountAMistypedFieldOfAMapEvent(String field, Bad bad) throws Exception {
        DecodedBatch b = decoder.decode(batch(2, p -> {
            p.packMapHeader(1 + NEWEST.size()).packString("type").packString("BlockStored");
            for (String f : NEWEST) {
                p.packString(f);
                if (f.equals(field)) {
                    bad.write(p);
                } else {
                    pack(p, wireValue(f));
                }
            }
            removedArray(p, 13);
        }));

        assertThat(EventView.of(b)).containsExactly(withoutField(field), removedView("13"));
        assertThat(b.skippedFields()).isOne();
    }

    private static Map<String, Object> withoutField(String field) {
        Map<String, Object> expected = expectedView(NEWEST);
        expected.remove(field);
        return expected;
    }

    @Test
    void shouldCountEverySkippedFieldOfTheBatchAndStartAgainForTheNext() throws Exception {
        byte[] twoBad = batch(3, p -> {
            p.packArrayHeader(4).packString("BlockRemoved").packArrayHeader(1).packInt(1).packInt(5).packString("0");
            p.packMapHeader(3).packString("type").packString("BlockRemoved").packString("block_hashes")
                .packArrayHeader(1).packInt(2).packString("locality").packArrayHeader(0);
            p.packArrayHeader(1).packString("AllBlocksCleared");
        });
        DecodedBatch b = decoder.decode(twoBad);
        assertThat(b.skippedFields()).isEqualTo(3);  // medium 5, group_idx "0", locality []
        assertThat(b.events()).hasSize(3);

        assertThat(decoder.decode(batch(1, p -> removedArray(p, 1))).skippedFields()).isZero();
    }

    @Test
    void shouldReadNilAsNullWithoutCounting() throws Exception {
        DecodedBatch b = decoder.decode(storedArray(NEWEST, nilsFrom(4)));
        assertThat(b.skippedFields()).isZero();
        assertThat(EventView.of(b).get(0)).doesNotContainKeys("lora_id", "medium", "event_version", "ownership");
    }

    private static Map<String, Object> nilsFrom(int index) {
        Map<String, Object> nils = new java.util.HashMap<>();
        for (String f : NEWEST.subList(index, NEWEST.size())) {
            nils.put(f, null);
        }
        return nils;
    }

    @Test
    void shouldStayStrictAboutABlocksIdentity() throws Exception {
        for (String field : List.of("block_hashes", "parent_block_hash", "token_ids", "block_size")) {
            byte[] payload = storedArray(NEWEST, Map.of(field, true));
            assertThatThrownBy(() -> decoder.decode(payload)).as(field).isInstanceOf(DecodeException.class)
                .hasMessageContaining("field " + field);
        }
    }

    @Test
    void shouldNotCountFieldsItDoesNotKnow() throws Exception {
        DecodedBatch b = decoder.decode(batch(1, p -> p.packMapHeader(3).packString("type").packString("BlockRemoved")
            .packString("block_hashes").packArrayHeader(0).packString("session_id").packMapHeader(0)));
        assertThat(b.skippedFields()).isZero();
    }
}
