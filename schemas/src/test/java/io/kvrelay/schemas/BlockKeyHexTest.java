package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlockKeyHexTest {
    @Test
    void shouldWriteSixteenLowercaseDigitsUnsigned() {
        assertThat(BlockKeyHex.of(0L)).isEqualTo("0000000000000000");
        assertThat(BlockKeyHex.of(1L)).isEqualTo("0000000000000001");
        assertThat(BlockKeyHex.of(-1L)).isEqualTo("ffffffffffffffff");
        assertThat(BlockKeyHex.of(Long.MIN_VALUE)).isEqualTo("8000000000000000");
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            long k = rnd.nextLong();
            assertThat(BlockKeyHex.of(k)).isEqualTo(String.format("%016x", k));
            assertThat(Long.parseUnsignedLong(BlockKeyHex.of(k), 16)).isEqualTo(k);
        }
    }
}
