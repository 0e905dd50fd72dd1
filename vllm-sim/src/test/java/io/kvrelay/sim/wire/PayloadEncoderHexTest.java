package io.kvrelay.sim.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The three msgspec-encoded examples of vllm-kv-events.md §2, reproduced byte for byte. */
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
