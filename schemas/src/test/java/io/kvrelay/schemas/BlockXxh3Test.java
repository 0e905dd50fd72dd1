package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;

/** BlockXxh3 against the library over the documented byte layout, in every XXH3 length class. */
class BlockXxh3Test {
    private static final LongHashFunction REFERENCE = LongHashFunction.xx3(BlockKeys.SEED);
    /** Ids that stress sign extension and the 32-bit halves of each 64-bit word. */
    private static final int[] EDGE_IDS = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x80, 0xFFFF, 151_643};

    private static long reference(long parent, long extra, int[] tokens, int from, int n) {
        ByteBuffer bytes = ByteBuffer.allocate(16 + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(parent).putLong(extra);
        for (int i = from; i < from + n; i++) {
            bytes.putInt(tokens[i]);
        }
        return REFERENCE.hashBytes(bytes.array());
    }

    private static int token(SplittableRandom rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> EDGE_IDS[rnd.nextInt(EDGE_IDS.length)];
            case 1 -> rnd.nextInt(200_000);
            default -> rnd.nextInt();
        };
    }

    private static long word(SplittableRandom rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> 0L;
            case 1 -> -1L;
            case 2 -> rnd.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
            default -> rnd.nextLong();
        };
    }

    /** Random blocks of n tokens at a random offset inside a larger array, compared with the library. */
    private static void assertMatchesLibrary(SplittableRandom rnd, int n, int rounds) {
        for (int r = 0; r < rounds; r++) {
            int from = rnd.nextInt(4);
            int[] tokens = new int[from + n + rnd.nextInt(3)];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = token(rnd);
            }
            long parent = word(rnd);
            long extra = word(rnd);
            assertThat(BlockXxh3.hash(parent, extra, tokens, from, n))
                    .as("n=%d (%d bytes) parent=%x extra=%x", n, 16 + 4 * n, parent, extra)
                    .isEqualTo(reference(parent, extra, tokens, from, n));
        }
    }

    @Test
    void shouldMatchTheLibraryForBlocksOfZeroToEightyTokens() {
        // 16..336 bytes: the 9-16 (n = 0), 17-128 (1..28), 129-240 (29..56) and > 240 byte (57..80) classes.
        SplittableRandom rnd = new SplittableRandom(20240611);
        for (int n = 0; n <= 80; n++) {
            assertMatchesLibrary(rnd, n, 2_000);
        }
    }

    @Test
    void shouldMatchTheLibraryForLongBlocks() {
        // Over 240 bytes the hash is the library's on a per-thread copy: this guards the copy (offsets, the scratch
        // growing past 128 tokens) across XXH3's 1,024-byte block boundaries (252 tokens end exactly on one).
        SplittableRandom rnd = new SplittableRandom(99);
        for (int n : new int[] {128, 129, 251, 252, 253, 508, 1500}) {
            assertMatchesLibrary(rnd, n, 20);
        }
        for (int r = 0; r < 100; r++) {
            assertMatchesLibrary(rnd, 57 + rnd.nextInt(1_200), 1);
        }
    }

    @Test
    void shouldMatchTheLibraryOnBoundaryLengthsWithExtremeWords() {
        int[] allMin = new int[64];
        int[] allMax = new int[64];
        Arrays.fill(allMin, Integer.MIN_VALUE);
        Arrays.fill(allMax, -1);
        // 16, 20, 32, 44, 48, 64, 96, 128, 132, 240 and 244 bytes: the edges of each class and of each code path.
        for (int n : new int[] {0, 1, 4, 7, 8, 12, 20, 28, 29, 56, 57, 64}) {
            for (int[] tokens : new int[][] {allMin, allMax, new int[64]}) {
                for (long w : new long[] {0L, -1L, Long.MIN_VALUE, BlockKeys.SEED}) {
                    assertThat(BlockXxh3.hash(w, ~w, tokens, 0, n)).as("n=%d w=%x", n, w)
                            .isEqualTo(reference(w, ~w, tokens, 0, n));
                }
            }
        }
    }

    @Test
    void shouldBeWhatBlockKeysNextAndChainUse() {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] tokens = new int[64 * 20];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = token(rnd);
        }
        long extra = BlockKeys.extraKey("sql-adapter");
        for (int blockSize : new int[] {1, 16, 32, 64}) {
            long[] keys = BlockKeys.chain(tokens, blockSize, "sql-adapter");
            long parent = BlockKeys.ROOT;
            for (int i = 0; i < keys.length; i++) {
                long expected = reference(parent, extra, tokens, i * blockSize, blockSize);
                parent = expected == 0L ? 1L : expected;
                assertThat(keys[i]).as("block %d of size %d", i, blockSize).isEqualTo(parent);
            }
        }
    }
}
