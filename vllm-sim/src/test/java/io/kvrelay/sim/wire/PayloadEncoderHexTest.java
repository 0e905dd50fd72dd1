package io.kvrelay.sim.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The three msgspec-encoded examples of vllm-kv-events.md §2, reproduced byte for byte, and the newest layouts against
 * msgspec's encoding of our model of them (src/test/resources/newest-layout-msgspec.py).
 */
class PayloadEncoderHexTest {
    private static final double TS = 1757500000.25;
    private static final long DEADBEEF = 0xDEADBEEF12345678L;

    @Test
    void era16750LegacyArrays() {
        // The era's builtin hash gave Python ints of either sign: the stored hash is a uint64, the removed one is -5.
        List<SimEvent> events = List.of(
                SimEvent.Stored.gpu(new long[] {DEADBEEF}, null, new int[] {1, 2, 3, 4}, 4),
                SimEvent.Removed.gpu(-5L).withHashEncoding(HashEncoding.SIGNED_INT),
                new SimEvent.Cleared());

        byte[] payload = new PayloadEncoder(PayloadLayout.ARRAY_LEGACY, HashEncoding.INT).encode(TS, 0, events);

        assertThat(hex(payload)).isEqualTo("92cb41da3054981000009396ab426c6f636b53746f72656491cfdeadbeef12345678c09401"
                + "02030404c092ac426c6f636b52656d6f76656491fb91b0416c6c426c6f636b73436c6561726564");
    }

    @Test
    void arrayEraWithEveryFieldThrough40984() {
        byte[] payload = new PayloadEncoder(PayloadLayout.ARRAY_FULL, HashEncoding.INT).encode(TS, 0, fullEvents());

        assertThat(hex(payload)).isEqualTo("93cb41da305498100000939cab426c6f636b53746f72656491cfffffffffffffffffcfdead"
                + "beef12345678940102030404c0a3475055c091c000ae66756c6c5f617474656e74696f6ec094ac426c6f636b52656d6f76"
                + "656491cfdeadbeef12345678a34750550091b0416c6c426c6f636b73436c656172656400");
    }

    @Test
    void mapEraOmitsNoneDefaultsOnly() {
        byte[] payload = new PayloadEncoder(PayloadLayout.MAP_EVENTS, HashEncoding.INT).encode(TS, 0, fullEvents());

        assertThat(hex(payload)).isEqualTo("93cb41da305498100000938ba474797065ab426c6f636b53746f726564ac626c6f636b5f"
                + "68617368657391cfffffffffffffffffb1706172656e745f626c6f636b5f68617368cfdeadbeef12345678a9746f6b656e5f"
                + "6964739401020304aa626c6f636b5f73697a6504a76c6f72615f6964c0a66d656469756da3475055a96c6f72615f6e616d"
                + "65c0aa65787472615f6b65797391c0a967726f75705f69647800b26b765f63616368655f737065635f6b696e64ae66756c6c"
                + "5f617474656e74696f6e84a474797065ac426c6f636b52656d6f766564ac626c6f636b5f68617368657391cfdeadbeef1234"
                + "5678a66d656469756da3475055a967726f75705f6964780081a474797065b0416c6c426c6f636b73436c656172656400");
    }

    @Test
    void bytesHashIsBin8OfThirtyTwoBytesEndingInTheHash() {
        byte[] payload = new PayloadEncoder(PayloadLayout.ARRAY_FULL, HashEncoding.BYTES)
                .encode(TS, 0, List.of(SimEvent.Removed.gpu(DEADBEEF)));

        String hex = hex(payload);
        int at = hex.indexOf("91c420");
        assertThat(at).isPositive();
        assertThat(hex.substring(at + 6 + 48, at + 6 + 64)).isEqualTo("deadbeef12345678");
    }

    @Test
    void intHashesUseTheSmallestForm() {
        PayloadEncoder enc = new PayloadEncoder(PayloadLayout.ARRAY_LEGACY, HashEncoding.INT);
        // 7 -> fixint, 200 -> uint8, 2^32 -> uint64 (positive ints are unsigned in msgpack), 2^63 -> uint64.
        byte[] payload = enc.encode(TS, null, List.of(SimEvent.Removed.gpu(7, 200, 1L << 32, Long.MIN_VALUE)));
        assertThat(hex(payload)).endsWith("9407ccc8cf0000000100000000cf8000000000000000");

        byte[] signed = new PayloadEncoder(PayloadLayout.ARRAY_LEGACY, HashEncoding.SIGNED_INT)
                .encode(TS, null, List.of(SimEvent.Removed.gpu(Long.MIN_VALUE, -200)));
        assertThat(hex(signed)).endsWith("92d38000000000000000d1ff38");
    }

    @Test
    void unknownTagIsWrittenLikeAnyTaggedStruct() {
        SimEvent pinned = new SimEvent.Unknown("BlockPinned", new long[] {1});
        assertThat(hex(new PayloadEncoder(PayloadLayout.ARRAY_FULL, HashEncoding.INT).encode(TS, 0, List.of(pinned))))
                .endsWith("9192ab426c6f636b50696e6e65649101" + "00");
        assertThat(hex(new PayloadEncoder(PayloadLayout.MAP_EVENTS, HashEncoding.INT).encode(TS, 0, List.of(pinned))))
                .endsWith("9182a474797065ab426c6f636b50696e6e6564ac626c6f636b5f6861736865739101" + "00");
    }

    @Test
    void encoderIsReusableAndDoesNotLeakBetweenPayloads() {
        PayloadEncoder enc = new PayloadEncoder(PayloadLayout.MAP_EVENTS, HashEncoding.INT);
        byte[] first = enc.encode(TS, 0, fullEvents());
        enc.encode(TS, 3, List.of(new SimEvent.Cleared()));
        assertThat(Arrays.equals(enc.encode(TS, 0, fullEvents()), first)).isTrue();
    }

    @Test
    void newestArrayLayoutAsMsgspecWritesIt() {
        // event_version written (1, then 2) between lora_name and extra_keys; trailing nils kept; typed keys as maps.
        byte[] payload = new PayloadEncoder(PayloadLayout.NEWEST_ARRAY, HashEncoding.INT).encode(TS, 0, newestEvents());

        assertThat(hex(payload)).isEqualTo(NEWEST_ARRAY_HEX);
    }

    @Test
    void newestMapLayoutAsMsgspecWritesIt() {
        // event_version omitted while 1; locality/ownership omitted while None; STORAGE medium and empty tokens.
        byte[] payload = new PayloadEncoder(PayloadLayout.NEWEST_MAP, HashEncoding.INT).encode(TS, 0, newestEvents());

        assertThat(hex(payload)).isEqualTo(NEWEST_MAP_HEX);
    }

    @Test
    void olderLayoutsLeaveTheNewestFieldsOut() {
        List<SimEvent> withNewest = newestEvents();
        List<SimEvent> without = List.of(
                new SimEvent.Stored(new long[] {DEADBEEF, -1L}, null, new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, null,
                        "GPU", "sql-adapter", ((SimEvent.Stored) withNewest.get(0)).extraKeys(), 0, "full_attention",
                        null, null),
                new SimEvent.Stored(new long[] {7}, DEADBEEF, new int[0], 4, null, "STORAGE", null,
                        ((SimEvent.Stored) withNewest.get(1)).extraKeys(), null, null, null, null),
                new SimEvent.Removed(new long[] {DEADBEEF}, "STORAGE", 0, null),
                new SimEvent.Cleared());
        for (PayloadLayout layout : List.of(PayloadLayout.ARRAY_FULL, PayloadLayout.MAP_EVENTS)) {
            PayloadEncoder enc = new PayloadEncoder(layout, HashEncoding.INT);
            assertThat(hex(enc.encode(TS, 0, withNewest))).as(layout.name()).isEqualTo(hex(enc.encode(TS, 0, without)));
        }
    }

    /** Generated by src/test/resources/newest-layout-msgspec.py (msgspec 0.22.0) from the same content. */
    static final String NEWEST_ARRAY_HEX = ""
            + "93cb41da305498100000949fab426c6f636b53746f72656492cfdeadbeef12345678cfffffffffffffffffc09801020304050607"
            + "0804c0a3475055ab73716c2d6164617074657201929382a474797065a46c6f7261a46e616d65ab73716c2d6164617074657282a4"
            + "74797065aa63616368655f73616c74a473616c74a874656e616e742d3783a474797065a26d6daa6964656e746966696572a5696d"
            + "672d31a66f6666736574029282a474797065a46c6f7261a46e616d65ab73716c2d6164617074657282a474797065ad70726f6d70"
            + "745f656d62656473a468617368c404cafebabe00ae66756c6c5f617474656e74696f6ec0a54c4f43414ca57265712d319fab426c"
            + "6f636b53746f7265649107cfdeadbeef123456789004c0a753544f52414745c002919282a474797065a66c6567616379a576616c"
            + "756592a76d6d2d686173680083a474797065a26d6daa6964656e746966696572c40200ffa66f666673657400c0c0c0a652454d4f"
            + "5445c096ac426c6f636b52656d6f76656491cfdeadbeef12345678a753544f5241474500a652454d4f5445a5706f642d6291b041"
            + "6c6c426c6f636b73436c656172656400";
    static final String NEWEST_MAP_HEX = ""
            + "93cb41da305498100000948da474797065ab426c6f636b53746f726564ac626c6f636b5f68617368657392cfdeadbeef12345678"
            + "cfffffffffffffffffb1706172656e745f626c6f636b5f68617368c0a9746f6b656e5f696473980102030405060708aa626c6f63"
            + "6b5f73697a6504a76c6f72615f6964c0a66d656469756da3475055a96c6f72615f6e616d65ab73716c2d61646170746572aa6578"
            + "7472615f6b657973929382a474797065a46c6f7261a46e616d65ab73716c2d6164617074657282a474797065aa63616368655f73"
            + "616c74a473616c74a874656e616e742d3783a474797065a26d6daa6964656e746966696572a5696d672d31a66f66667365740292"
            + "82a474797065a46c6f7261a46e616d65ab73716c2d6164617074657282a474797065ad70726f6d70745f656d62656473a4686173"
            + "68c404cafebabea967726f75705f69647800b26b765f63616368655f737065635f6b696e64ae66756c6c5f617474656e74696f6e"
            + "a86c6f63616c697479a54c4f43414ca96f776e657273686970a57265712d318ba474797065ab426c6f636b53746f726564ac626c"
            + "6f636b5f6861736865739107b1706172656e745f626c6f636b5f68617368cfdeadbeef12345678a9746f6b656e5f69647390aa62"
            + "6c6f636b5f73697a6504a76c6f72615f6964c0a66d656469756da753544f52414745a96c6f72615f6e616d65c0ad6576656e745f"
            + "76657273696f6e02aa65787472615f6b657973919282a474797065a66c6567616379a576616c756592a76d6d2d686173680083a4"
            + "74797065a26d6daa6964656e746966696572c40200ffa66f666673657400a86c6f63616c697479a652454d4f544586a474797065"
            + "ac426c6f636b52656d6f766564ac626c6f636b5f68617368657391cfdeadbeef12345678a66d656469756da753544f52414745a9"
            + "67726f75705f69647800a86c6f63616c697479a652454d4f5445a96f776e657273686970a5706f642d6281a474797065b0416c6c"
            + "426c6f636b73436c656172656400";

    /** The content of newest-layout-msgspec.py's batch. */
    static List<SimEvent> newestEvents() {
        List<Object> block0 = List.of(SimEvent.ExtraKey.lora("sql-adapter"), SimEvent.ExtraKey.cacheSalt("tenant-7"),
                SimEvent.ExtraKey.mm("img-1", 2));
        List<Object> block1 = List.of(SimEvent.ExtraKey.lora("sql-adapter"),
                SimEvent.ExtraKey.promptEmbeds(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe}));
        List<Object> offloaded = List.of(SimEvent.ExtraKey.legacy(List.of("mm-hash", 0)),
                SimEvent.ExtraKey.mm(new byte[] {0, (byte) 0xff}, 0));
        return List.of(
                new SimEvent.Stored(new long[] {DEADBEEF, -1L}, null, new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, null,
                        "GPU", "sql-adapter", 1, List.of(block0, block1), 0, "full_attention", null, "LOCAL", "req-1",
                        null),
                new SimEvent.Stored(new long[] {7}, DEADBEEF, new int[0], 4, null, SimEvent.MEDIUM_STORAGE, null, 2,
                        List.of(offloaded), null, null, null, SimEvent.REMOTE, null, null),
                new SimEvent.Removed(new long[] {DEADBEEF}, "STORAGE", 0, "REMOTE", "pod-b", null),
                new SimEvent.Cleared());
    }

    /** BlockStored [2^64-1] with every field through #40984, BlockRemoved, AllBlocksCleared (doc §2). */
    static List<SimEvent> fullEvents() {
        java.util.List<Object> extraKeys = new java.util.ArrayList<>();
        extraKeys.add(null);
        return List.of(
                new SimEvent.Stored(new long[] {-1L}, DEADBEEF, new int[] {1, 2, 3, 4}, 4, null, "GPU", null,
                        extraKeys, 0, "full_attention", null, null),
                new SimEvent.Removed(new long[] {DEADBEEF}, "GPU", 0, null),
                new SimEvent.Cleared());
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
