package io.kvrelay.ingest.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class KvEventDecoderTest {
    static final double TS = 1757500000.25;
    static final String U64_MAX = "18446744073709551615";
    static final String DEADBEEF = Long.toUnsignedString(0xDEADBEEF12345678L);

    final KvEventDecoder decoder = new KvEventDecoder();

    /** Packs a payload with msgpack-core; the lambda writes the values. */
    interface Body {
        void write(MessageBufferPacker p) throws IOException;
    }

    static byte[] pack(Body body) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        body.write(p);
        return p.toByteArray();
    }

    /** {@code [TS, [events...], 0]} where the body writes {@code count} events. */
    static byte[] batch(int count, Body events) throws IOException {
        return pack(p -> {
            p.packArrayHeader(3).packDouble(TS).packArrayHeader(count);
            events.write(p);
            p.packInt(0);
        });
    }

    static void removedArray(MessageBufferPacker p, long hash) throws IOException {
        p.packArrayHeader(3).packString("BlockRemoved").packArrayHeader(1).packLong(hash).packString("GPU");
    }

    static Map<String, Object> removedView(String hash) {
        return Map.of("type", "BlockRemoved", "block_hashes", List.of(hash), "medium", "GPU");
    }

    static String unsigned(long bits) {
        return Long.toUnsignedString(bits);
    }

    @Nested
    class HexExamplesFromTheProtocolDoc {
        @Test
        void era16750ArrayEventsTwoElementEnvelope() throws Exception {
            DecodedBatch b = decoder.decode(HexFormat.of().parseHex(
                "92cb41da3054981000009396ab426c6f636b53746f72656491cfdeadbeef12345678c0940102030404c092ac426c6f636b52"
                    + "656d6f76656491fb91b0416c6c426c6f636b73436c6561726564"));
            assertThat(b.timestampSeconds()).isEqualTo(TS);
            assertThat(b.dataParallelRank()).isEqualTo(DecodedBatch.NO_RANK);
            assertThat(EventView.of(b)).containsExactly(
                Map.of("type", "BlockStored", "block_hashes", List.of(DEADBEEF), "token_ids", List.of(1L, 2L, 3L, 4L),
                    "block_size", 4L),
                Map.of("type", "BlockRemoved", "block_hashes", List.of(unsigned(-5))),
                Map.of("type", "AllBlocksCleared"));
        }

        @Test
        void arrayEraAllFields() throws Exception {
            DecodedBatch b = decoder.decode(HexFormat.of().parseHex(
                "93cb41da305498100000939cab426c6f636b53746f72656491cfffffffffffffffffcfdeadbeef12345678940102030404c0"
                    + "a3475055c091c000ae66756c6c5f617474656e74696f6ec094ac426c6f636b52656d6f76656491cfdeadbeef12345678"
                    + "a34750550091b0416c6c426c6f636b73436c656172656400"));
            assertAllFieldsExample(b);
        }

        @Test
        void mapEraSameContent() throws Exception {
            DecodedBatch b = decoder.decode(HexFormat.of().parseHex(
                "93cb41da305498100000938ba474797065ab426c6f636b53746f726564ac626c6f636b5f68617368657391cfffffffffffff"
                    + "ffffb1706172656e745f626c6f636b5f68617368cfdeadbeef12345678a9746f6b656e5f6964739401020304aa626c6f"
                    + "636b5f73697a6504a76c6f72615f6964c0a66d656469756da3475055a96c6f72615f6e616d65c0aa65787472615f6b65"
                    + "797391c0a967726f75705f69647800b26b765f63616368655f737065635f6b696e64ae66756c6c5f617474656e74696f"
                    + "6e84a474797065ac426c6f636b52656d6f766564ac626c6f636b5f68617368657391cfdeadbeef12345678a66d656469"
                    + "756da3475055a967726f75705f6964780081a474797065b0416c6c426c6f636b73436c656172656400"));
            assertAllFieldsExample(b);
        }

        private void assertAllFieldsExample(DecodedBatch b) {
            assertThat(b.timestampSeconds()).isEqualTo(TS);
            assertThat(b.dataParallelRank()).isZero();
            assertThat(b.skippedUnknown()).isZero();
            assertThat(EventView.of(b)).containsExactly(
                Map.of("type", "BlockStored", "block_hashes", List.of(U64_MAX), "parent_block_hash", DEADBEEF,
                    "token_ids", List.of(1L, 2L, 3L, 4L), "block_size", 4L, "medium", "GPU", "group_idx", 0L,
                    "kv_cache_spec_kind", "full_attention", "extra_keys", List.of(List.of())),
                Map.of("type", "BlockRemoved", "block_hashes", List.of(DEADBEEF), "medium", "GPU", "group_idx", 0L),
                Map.of("type", "AllBlocksCleared"));
        }
    }

    @Nested
    class Envelopes {
        @Test
        void twoElementEnvelopeHasNoRank() throws Exception {
            DecodedBatch b = decoder.decode(pack(p -> p.packArrayHeader(2).packDouble(1.5).packArrayHeader(1)
                .packArrayHeader(1).packString("AllBlocksCleared")));
            assertThat(b.dataParallelRank()).isEqualTo(DecodedBatch.NO_RANK);
            assertThat(b.timestampSeconds()).isEqualTo(1.5);
            assertThat(b.events()).singleElement().isInstanceOf(AllBlocksCleared.class);
        }

        @Test
        void nilRankIsNoRank() throws Exception {
            DecodedBatch b = decoder.decode(pack(p -> p.packArrayHeader(3).packDouble(1).packArrayHeader(0).packNil()));
            assertThat(b.dataParallelRank()).isEqualTo(DecodedBatch.NO_RANK);
            assertThat(b.events()).isEmpty();
        }

        @Test
        void extraTrailingEnvelopeElementsAreSkipped() throws Exception {
            DecodedBatch b = decoder.decode(pack(p -> {
                p.packArrayHeader(5).packDouble(2).packArrayHeader(1);
                removedArray(p, 9);
                p.packInt(7).packMapHeader(1).packString("future").packArrayHeader(2).packInt(1).packNil();
                p.packString("more");
            }));
            assertThat(b.dataParallelRank()).isEqualTo(7);
            assertThat(EventView.of(b)).containsExactly(removedView("9"));
        }

        @Test
        void mapEnvelopeWithExtraKeysInOddOrder() throws Exception {
            DecodedBatch b = decoder.decode(pack(p -> {
                p.packMapHeader(5);
                p.packString("producer").packMapHeader(1).packString("v").packArrayHeader(2).packInt(1).packInt(2);
                p.packString("data_parallel_rank").packInt(3);
                p.packString("events").packArrayHeader(1);
                removedArray(p, 42);
                p.packInt(17).packString("non-string key is skipped too");
                p.packString("ts").packDouble(12.5);
            }));
            assertThat(b.timestampSeconds()).isEqualTo(12.5);
            assertThat(b.dataParallelRank()).isEqualTo(3);
            assertThat(EventView.of(b)).containsExactly(removedView("42"));
        }

        @Test
        void mapEnvelopeWithoutRank() throws Exception {
            DecodedBatch b = decoder.decode(pack(p -> p.packMapHeader(2).packString("events").packArrayHeader(0)
                .packString("ts").packLong(1757500000L)));
            assertThat(b.dataParallelRank()).isEqualTo(DecodedBatch.NO_RANK);
            assertThat(b.timestampSeconds()).isEqualTo(1757500000.0);
        }

        @Test
        void float32AndIntTimestamps() throws Exception {
            assertThat(decoder.decode(pack(p -> p.packArrayHeader(2).packFloat(2.5f).packArrayHeader(0)))
                .timestampSeconds()).isEqualTo(2.5);
            assertThat(decoder.decode(pack(p -> p.packArrayHeader(2).packLong(1757500000L).packArrayHeader(0)))
                .timestampSeconds()).isEqualTo(1757500000.0);
            assertThat(decoder.decode(pack(p -> p.packArrayHeader(2).packInt(0).packArrayHeader(0)))
                .timestampSeconds()).isZero();
        }

        @Test
        void decodesARangeInsideALargerArray() throws Exception {
            // The map event has "type" last, so the reader rewinds: positions must be relative to the range.
            // Token ids are read from the array directly, then the unpacker is repositioned: also range-relative.
            byte[] payload = pack(p -> p.packArrayHeader(3).packDouble(1).packArrayHeader(2).packMapHeader(2)
                .packString("block_hashes").packArrayHeader(1).packLong(5)
                .packString("type").packString("BlockRemoved")
                .packArrayHeader(5).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(3).packInt(1).packInt(300).packInt(70_000).packInt(1)
                .packInt(2));
            byte[] framed = new byte[payload.length + 20];
            java.util.Arrays.fill(framed, (byte) 0xc1);
            System.arraycopy(payload, 0, framed, 7, payload.length);
            DecodedBatch b = decoder.decode(framed, 7, payload.length);
            assertThat(b.dataParallelRank()).isEqualTo(2);
            assertThat(EventView.of(b)).containsExactly(Map.of("type", "BlockRemoved", "block_hashes", List.of("5")),
                Map.of("type", "BlockStored", "block_hashes", List.of(), "token_ids", List.of(1L, 300L, 70_000L),
                    "block_size", 1L));
        }
    }

    @Nested
    class Events {
        @Test
        void arrayEventOfTheOlderListWithSessionIdKeepsEveryPosition() throws Exception {
            // 14 fields like the newest list, but position 8 is a list: extra_keys, so no event_version.
            DecodedBatch b = decoder.decode(batch(2, p -> {
                p.packArrayHeader(15).packString("BlockStored");  // tag + 14 fields
                p.packArrayHeader(2).packLong(11).packLong(12);      // block_hashes
                p.packLong(10);                                     // parent_block_hash
                p.packArrayHeader(4).packInt(1).packInt(2).packInt(3).packInt(4);
                p.packInt(2);                                       // block_size
                p.packInt(3);                                       // lora_id
                p.packString("CPU");
                p.packString("my-lora");
                p.packArrayHeader(2).packNil().packArrayHeader(1).packString("x");  // extra_keys
                p.packInt(1);                                       // group_idx
                p.packString("sliding_window");
                p.packInt(4096);
                p.packString("local");                              // locality
                p.packMapHeader(1).packString("owner").packString("req-1");        // ownership: not a string
                p.packString("session-9");                          // session_id
                removedArray(p, 13);
            }));
            assertThat(EventView.of(b)).containsExactly(
                Map.ofEntries(Map.entry("type", "BlockStored"), Map.entry("block_hashes", List.of("11", "12")),
                    Map.entry("parent_block_hash", "10"), Map.entry("token_ids", List.of(1L, 2L, 3L, 4L)),
                    Map.entry("block_size", 2L), Map.entry("lora_id", 3L), Map.entry("medium", "CPU"),
                    Map.entry("lora_name", "my-lora"), Map.entry("group_idx", 1L),
                    Map.entry("extra_keys", List.of(List.of(), List.of(EventView.key("LEGACY", "x")))),
                    Map.entry("kv_cache_spec_kind", "sliding_window"), Map.entry("kv_cache_spec_sliding_window", 4096L),
                    Map.entry("locality", "LOCAL")),
                removedView("13"));
            assertThat(b.skippedFields()).isOne();
        }

        @Test
        void arrayEventWithFewerFieldsGetsDefaults() throws Exception {
            DecodedBatch b = decoder.decode(batch(2, p -> {
                p.packArrayHeader(2).packString("BlockStored").packArrayHeader(1).packInt(1);
                p.packArrayHeader(1).packString("BlockRemoved");
            }));
            assertThat(EventView.of(b)).containsExactly(
                Map.of("type", "BlockStored", "block_hashes", List.of("1"), "token_ids", List.of(), "block_size", 0L),
                Map.of("type", "BlockRemoved", "block_hashes", List.of()));
        }

        @Test
        void mapEventWhoseTypeIsNotFirst() throws Exception {
            DecodedBatch b = decoder.decode(batch(2, p -> {
                p.packMapHeader(6);
                p.packString("token_ids").packArrayHeader(2).packInt(7).packInt(8);
                p.packString("block_hashes").packArrayHeader(1).packLong(-1);
                p.packString("unknown_future_field").packArrayHeader(1).packMapHeader(0);
                p.packString("type").packString("BlockStored");
                p.packString("block_size").packInt(2);
                p.packString("medium").packString("GPU");
                removedArray(p, 3);
            }));
            assertThat(EventView.of(b)).containsExactly(
                Map.of("type", "BlockStored", "block_hashes", List.of(U64_MAX), "token_ids", List.of(7L, 8L),
                    "block_size", 2L, "medium", "GPU"),
                removedView("3"));
        }

        @Test
        void mapEventIgnoresFieldsOfOtherTypes() throws Exception {
            DecodedBatch b = decoder.decode(batch(1, p -> p.packMapHeader(4).packString("type").packString("BlockRemoved")
                .packString("token_ids").packArrayHeader(1).packInt(1)
                .packString("block_hashes").packArrayHeader(1).packInt(5)
                .packString("group_idx").packInt(3)));
            assertThat(EventView.of(b)).containsExactly(
                Map.of("type", "BlockRemoved", "block_hashes", List.of("5"), "group_idx", 3L));
        }

        @Test
        void unknownTagsAreSkippedAndCountedInBothForms() throws Exception {
            DecodedBatch b = decoder.decode(batch(4, p -> {
                p.packArrayHeader(3).packString("BlockPinned").packArrayHeader(1).packMapHeader(1).packInt(1).packNil()
                    .packString("x");
                removedArray(p, 1);
                p.packMapHeader(3).packString("hashes").packArrayHeader(1).packInt(1)
                    .packString("type").packString("BlockMoved").packString("to").packString("CPU");
                p.packArrayHeader(1).packString("AllBlocksCleared");
            }));
            assertThat(b.skippedUnknown()).isEqualTo(2);
            assertThat(b.events()).hasSize(2);
            assertThat(b.events().get(0)).isInstanceOf(BlockRemoved.class);
            assertThat(b.events().get(1)).isInstanceOf(AllBlocksCleared.class);
        }

        @Test
        void allBlocksClearedInBothFormsWithAndWithoutExtras() throws Exception {
            DecodedBatch b = decoder.decode(batch(4, p -> {
                p.packArrayHeader(1).packString("AllBlocksCleared");
                p.packMapHeader(1).packString("type").packString("AllBlocksCleared");
                p.packArrayHeader(3).packString("AllBlocksCleared").packInt(1).packNil();
                p.packMapHeader(2).packString("medium").packString("GPU").packString("type").packString("AllBlocksCleared");
            }));
            assertThat(b.events()).hasSize(4).allMatch(e -> e instanceof AllBlocksCleared);
        }

        @Test
        void tokenIdsNotAMultipleOfBlockSizeAndEmptyTokenIdsAreKept() throws Exception {
            DecodedBatch b = decoder.decode(batch(2, p -> {
                p.packArrayHeader(5).packString("BlockStored").packArrayHeader(1).packInt(1).packNil()
                    .packArrayHeader(3).packInt(1).packInt(2).packInt(3).packInt(16);
                p.packArrayHeader(7).packString("BlockStored").packArrayHeader(1).packInt(2).packNil()
                    .packArrayHeader(0).packInt(16).packNil().packString("CPU");
            }));
            BlockStored odd = (BlockStored) b.events().get(0);
            assertThat(odd.getTokenIds()).containsExactly(1, 2, 3);
            BlockStored offload = (BlockStored) b.events().get(1);
            assertThat(offload.getTokenIds()).isEmpty();
            assertThat(offload.getMedium()).isEqualTo("CPU");
        }

        /** The token reader parses ints itself (see WireReader.ints), so every msgpack int form is checked here. */
        @Test
        void tokenIdsInEveryIntForm() throws Exception {
            byte[] elements = HexFormat.of().parseHex("057fffe0" + "ccc8" + "cd1234" + "ce7fffffff" + "d080" + "d18000"
                + "d280000000" + "d3ffffffffffffffff" + "cf0000000000000010");
            BlockStored s = (BlockStored) decoder.decode(batch(1, p -> {
                p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil().packArrayHeader(12);
                p.writePayload(elements);
            })).events().get(0);
            assertThat(s.getTokenIds()).containsExactly(5, 127, -1, -32, 200, 0x1234, Integer.MAX_VALUE, -128, -32768,
                Integer.MIN_VALUE, -1, 16);
        }

        @Test
        void hashArraysArePrimitiveAvroArrays() throws Exception {
            BlockStored s = (BlockStored) decoder.decode(batch(1, p -> p.packArrayHeader(5).packString("BlockStored")
                .packArrayHeader(1).packInt(1).packNil().packArrayHeader(1).packInt(1).packInt(1))).events().get(0);
            assertThat(s.getBlockHashes()).isInstanceOf(PrimitivesArrays.LongArray.class);
            assertThat(s.getTokenIds()).isInstanceOf(PrimitivesArrays.IntArray.class);
        }

        @Test
        void decoderIsReusableAndBatchesAreIndependent() throws Exception {
            DecodedBatch first = decoder.decode(batch(1, p -> removedArray(p, 1)));
            assertThatThrownBy(() -> decoder.decode(new byte[] {(byte) 0x93, 1})).isInstanceOf(DecodeException.class);
            DecodedBatch second = decoder.decode(batch(1, p -> removedArray(p, 2)));
            assertThat(EventView.of(first)).containsExactly(removedView("1"));
            assertThat(EventView.of(second)).containsExactly(removedView("2"));
        }
    }

    @Nested
    class Hashes {
        private List<String> hashesOf(Body hashes, int count) throws Exception {
            DecodedBatch b = decoder.decode(batch(1, p -> {
                p.packArrayHeader(2).packString("BlockRemoved").packArrayHeader(count);
                hashes.write(p);
            }));
            return EventView.hashes(((BlockRemoved) b.events().get(0)).getBlockHashes());
        }

        @Test
        void negativeIntsAreTwosComplementBits() throws Exception {
            assertThat(hashesOf(p -> p.packLong(-5).packLong(Long.MIN_VALUE).packInt(-1).packByte((byte) -100), 4))
                .containsExactly(unsigned(-5), "9223372036854775808", U64_MAX, unsigned(-100));
        }

        @Test
        void uint64AboveLongMaxKeepsItsRawBits() throws Exception {
            BigInteger twoTo63 = BigInteger.ONE.shiftLeft(63);
            assertThat(hashesOf(p -> p.packBigInteger(new BigInteger(U64_MAX)).packBigInteger(twoTo63)
                .packBigInteger(new BigInteger("16045690981402826360")).packLong(Long.MAX_VALUE), 4))
                .containsExactly(U64_MAX, "9223372036854775808", "16045690981402826360", "9223372036854775807");
        }

        @Test
        void allIntWidths() throws Exception {
            assertThat(hashesOf(p -> p.packInt(0).packInt(127).packInt(200).packInt(60000).packLong(4_000_000_000L)
                .packLong(1L << 40), 6))
                .containsExactly("0", "127", "200", "60000", "4000000000", Long.toString(1L << 40));
        }

        @Test
        void binHashesTakeTheLastEightBytesBigEndian() throws Exception {
            byte[] sixteen = new byte[16];
            byte[] thirtyTwo = new byte[32];
            for (int i = 0; i < 32; i++) {
                thirtyTwo[i] = (byte) (0x60 + i);
                if (i < 16) {
                    sixteen[i] = (byte) (0xf0 + i);
                }
            }
            byte[] seventy = new byte[70];   // longer than the reader's scratch buffer
            seventy[69] = 1;
            seventy[62] = (byte) 0x80;
            assertThat(hashesOf(p -> {
                p.packBinaryHeader(16).writePayload(sixteen);
                p.packBinaryHeader(32).writePayload(thirtyTwo);
                p.packBinaryHeader(3).writePayload(new byte[] {1, 2, 3});
                p.packBinaryHeader(0);
                p.packBinaryHeader(70).writePayload(seventy);
            }, 5)).containsExactly(
                unsigned(0xf8f9fafbfcfdfeffL), unsigned(0x78797a7b7c7d7e7fL), Long.toString(0x010203), "0",
                unsigned(0x8000000000000001L));
        }

        @Test
        void bytesFixtureDigestMatchesTheProtocolNote() throws Exception {
            // bytes-hashes.msgpack carries 0x64..0x83; its last 8 bytes are 7c..83.
            assertThat(Long.toUnsignedString(0x7c7d7e7f80818283L)).isEqualTo("8970465118873813635");
        }

        @Test
        void strHashesUseTheirUtf8Bytes() throws Exception {
            assertThat(hashesOf(p -> p.packString("abcdefghij").packString("ab"), 2)).containsExactly(
                unsigned(bigEndian("cdefghij".getBytes(StandardCharsets.US_ASCII))), Long.toString(0x6162));
        }

        @Test
        void nilParentAndUint64Parent() throws Exception {
            DecodedBatch b = decoder.decode(batch(2, p -> {
                p.packArrayHeader(3).packString("BlockStored").packArrayHeader(0).packNil();
                p.packArrayHeader(3).packString("BlockStored").packArrayHeader(0).packBigInteger(new BigInteger(U64_MAX));
            }));
            assertThat(((BlockStored) b.events().get(0)).getParentBlockHash()).isNull();
            assertThat(((BlockStored) b.events().get(1)).getParentBlockHash()).isEqualTo(-1L);
        }

        private long bigEndian(byte[] b) {
            long v = 0;
            for (byte x : b) {
                v = v << 8 | (x & 0xff);
            }
            return v;
        }
    }

    @Nested
    class Errors {
        private void assertFails(byte[] payload, String... messageParts) {
            assertThatThrownBy(() -> decoder.decode(payload)).isInstanceOf(DecodeException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
        }

        @Test
        void wrongTypeForTokenIdsNamesEventFieldAndTypes() throws Exception {
            assertFails(batch(2, p -> {
                removedArray(p, 1);
                p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil().packString("1,2,3");
            }), "event 1 (BlockStored): field token_ids: expected array, got STRING");
        }

        @Test
        void wrongTokenElementAndOutOfRangeToken() throws Exception {
            assertFails(batch(1, p -> p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(2).packInt(1).packString("2")),
                "event 0 (BlockStored): field token_ids: element 1: expected int, got STRING");
            assertFails(batch(1, p -> p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(1).packLong(1L << 33)), "field token_ids: element 0: out of int range");
            for (String tooBig : new String[] {"ce80000000", "cfffffffffffffffff", "d30000000100000000",
                "d3ffffffff7fffffff"}) {
                byte[] element = HexFormat.of().parseHex(tooBig);
                assertFails(batch(1, p -> {
                    p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil().packArrayHeader(2);
                    p.packInt(1).writePayload(element);
                }), "field token_ids: element 1: out of int range");
            }
            // Truncated inside a token, and a token array whose elements run past the end.
            byte[] ok = batch(1, p -> p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(2).packInt(1).packInt(100_000));
            assertFails(java.util.Arrays.copyOf(ok, ok.length - 3), "field token_ids: element 1: truncated");
        }

        @Test
        void wrongHashType() throws Exception {
            assertFails(batch(1, p -> p.packArrayHeader(2).packString("BlockRemoved").packArrayHeader(2).packInt(1)
                .packNil()), "event 0 (BlockRemoved): field block_hashes: expected int or bytes, got NIL");
            assertFails(batch(1, p -> p.packArrayHeader(2).packString("BlockRemoved").packInt(1)),
                "field block_hashes: expected array, got INTEGER");
        }

        @Test
        void wrongScalarTypes() throws Exception {
            assertFails(batch(1, p -> p.packArrayHeader(5).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(0).packString("16")), "field block_size: expected int, got STRING");
            assertFails(batch(1, p -> p.packArrayHeader(5).packString("BlockStored").packArrayHeader(0).packNil()
                .packArrayHeader(0).packInt(-4)), "negative block_size");
            assertFails(batch(1, p -> p.packArrayHeader(4).packString("BlockStored").packArrayHeader(0)
                .packBoolean(true).packArrayHeader(0)), "field parent_block_hash: expected int or bytes, got BOOLEAN");
        }

        @Test
        void topLevelMustBeArrayOrMap() {
            assertFails(new byte[] {0x05}, "batch: expected an array or map at top level, got INTEGER");
            assertFails(new byte[] {(byte) 0xa1, 'x'}, "got STRING");
            assertFails(new byte[0], "empty payload");
        }

        @Test
        void envelopeProblems() throws Exception {
            assertFails(pack(p -> p.packArrayHeader(1).packDouble(1)),
                "batch: array has 1 elements, expected [ts, events, rank?]");
            assertFails(pack(p -> p.packArrayHeader(2).packDouble(1).packMapHeader(0)),
                "batch: field events: expected array, got MAP");
            assertFails(pack(p -> p.packArrayHeader(2).packString("now").packArrayHeader(0)),
                "batch: field ts: expected number, got STRING");
            assertFails(pack(p -> p.packArrayHeader(3).packDouble(1).packArrayHeader(0).packInt(-2)), "negative rank");
            assertFails(pack(p -> p.packArrayHeader(3).packDouble(1).packArrayHeader(0).packString("0")),
                "field data_parallel_rank: expected int, got STRING");
            assertFails(pack(p -> p.packMapHeader(1).packString("events").packArrayHeader(0)),
                "batch: map has no \"ts\" key");
        }

        @Test
        void eventProblems() throws Exception {
            assertFails(batch(1, p -> p.packString("BlockStored")), "event 0: expected array or map, got STRING");
            assertFails(batch(1, p -> p.packArrayHeader(0)), "event 0: empty event array");
            assertFails(batch(1, p -> p.packArrayHeader(1).packInt(3)), "event 0: field type: expected string tag");
            assertFails(batch(1, p -> p.packMapHeader(1).packString("block_hashes").packArrayHeader(0)),
                "event 0: map event has no \"type\" key");
        }

        @Test
        void trailingGarbage() throws Exception {
            byte[] ok = batch(0, p -> { });
            byte[] withGarbage = java.util.Arrays.copyOf(ok, ok.length + 2);
            assertFails(withGarbage, "2 trailing bytes after the batch");
        }

        @Test
        void truncatedInput() throws Exception {
            byte[] ok = batch(1, p -> removedArray(p, 0xDEADBEEF12345678L));
            for (int len = 1; len < ok.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(ok, len);
                assertThatThrownBy(() -> decoder.decode(cut)).as("cut at %d", len).isInstanceOf(DecodeException.class);
            }
            assertFails(java.util.Arrays.copyOf(ok, ok.length - 3),
                "event 0 (BlockRemoved): field medium: declares 3 bytes but only 1 remain");
            assertFails(java.util.Arrays.copyOf(ok, 30), "field block_hashes: truncated");
        }

        @Test
        void forgedLengthsAreRejectedBeforeAllocating() {
            HexFormat hex = HexFormat.of();
            assertFails(hex.parseHex("92cb41da305498100000ddffffffff"),
                "batch: field events: declared length 4294967295 is 2^31 or more");
            assertFails(hex.parseHex("92cb41da305498100000dd7fffffff00"),
                "field events: array declares 2147483647 elements but only 1 bytes remain");
            assertFails(hex.parseHex("92cb41da3054981000009192ac426c6f636b52656d6f766564dd7ffffff0"),
                "event 0 (BlockRemoved): field block_hashes: array declares 2147483632 elements");
            assertFails(hex.parseHex("92cb41da3054981000009192ac426c6f636b52656d6f76656491c6ffffff00"),
                "field block_hashes: declared length 4294967040 is 2^31 or more");
            assertFails(hex.parseHex("92cb41da3054981000009192ac426c6f636b52656d6f76656491c67ffffff0"),
                "field block_hashes: declares 2147483632 bytes but only 0 remain");
            assertFails(hex.parseHex("df7fffffff"), "map declares 2147483647 elements");
            assertFails(hex.parseHex("92cb41da3054981000009181db7fffffff00"), "declares 2147483647 bytes");
        }

        @Test
        void neverUsedByteIsADecodeException() {
            assertFails(new byte[] {(byte) 0x92, (byte) 0xc1, (byte) 0x90}, "malformed msgpack", "ts");
        }

        @Test
        void messagesGiveTheByteOffset() throws Exception {
            assertFails(pack(p -> p.packArrayHeader(2).packDouble(1).packString("x")), "(at byte 10)");
        }
    }
}
