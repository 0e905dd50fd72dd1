package io.kvrelay.bench.schemas;

import io.kvrelay.schemas.BlockKeys;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.openhft.hashing.LongHashFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Block keys of a 4,096-token prompt, {@link BlockKeys} (XXH3 read straight from the token array) against the
 * library path it replaced (the layout copied into a byte[] and hashed with zero-allocation-hashing's xx3), in the
 * same run; setup checks that both give the same keys. The block size picks the XXH3 length class: 16 tokens
 * (80 bytes, 17-128), 32 (144 bytes, 129-240), 64 (272 bytes, long input, where BlockKeys also uses the library).
 * <ul>
 *   <li>{@code chainLibrary} / {@code chainDirect}: all 4,096 / blockSize keys of the prompt, into a reused array;</li>
 *   <li>{@code nextLibrary} / {@code nextDirect}: one block through {@code next} (bounds check, and for the library
 *       path the per-thread scratch), chained on the previous result so it cannot be hoisted.</li>
 * </ul>
 * Target: direct ≥ 2 × faster than library.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BlockKeysBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class BlockKeysBenchmark {
    static final int TOKENS = 4096;

    @Param({"16", "32", "64"})
    public int blockSize;

    private int[] tokens;
    private long[] out;
    private byte[] scratch;
    private long parent;

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        tokens = new int[TOKENS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(128_000);
        }
        out = new long[TOKENS / blockSize];
        scratch = new byte[16 + 4 * blockSize];
        long[] direct = BlockKeys.chain(tokens, blockSize, null);
        if (!Arrays.equals(direct, libraryChain(tokens, blockSize, scratch, new long[out.length]))) {
            throw new IllegalStateException("library and direct block keys differ");
        }
    }

    @Benchmark
    public long[] chainLibrary() {
        return libraryChain(tokens, blockSize, scratch, out);
    }

    @Benchmark
    public int chainDirect() {
        return BlockKeys.chain(tokens, blockSize, 0L, out);
    }

    @Benchmark
    public long nextLibrary() {
        return parent = Library.next(parent, 0L, tokens, 0, blockSize);
    }

    @Benchmark
    public long nextDirect() {
        return parent = BlockKeys.next(parent, 0L, tokens, 0, blockSize);
    }

    private static long[] libraryChain(int[] tokens, int blockSize, byte[] scratch, long[] out) {
        long parent = BlockKeys.ROOT;
        for (int i = 0, from = 0; i < out.length; i++, from += blockSize) {
            parent = Library.next(scratch, parent, 0L, tokens, from, from + blockSize);
            out[i] = parent;
        }
        return out;
    }

    /**
     * BlockKeys' former body: the little-endian layout in a scratch byte[], hashed in one library call; {@code next}
     * took the scratch from a ThreadLocal on every call, {@code chain} once per prompt.
     */
    static final class Library {
        private static final LongHashFunction XX3 = LongHashFunction.xx3(BlockKeys.SEED);
        private static final VarHandle LE64 =
                MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final VarHandle LE32 =
                MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
        private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[16 + 4 * 64]);

        static long next(long parent, long extra, int[] tokens, int from, int to) {
            Objects.checkFromToIndex(from, to, tokens.length);
            byte[] buf = SCRATCH.get();
            if (buf.length < 16 + 4 * (to - from)) {
                buf = new byte[16 + 4 * (to - from)];
                SCRATCH.set(buf);
            }
            return next(buf, parent, extra, tokens, from, to);
        }

        static long next(byte[] buf, long parent, long extra, int[] tokens, int from, int to) {
            LE64.set(buf, 0, parent);
            LE64.set(buf, 8, extra);
            for (int i = from, p = 16; i < to; i++, p += 4) {
                LE32.set(buf, p, tokens[i]);
            }
            long h = XX3.hashBytes(buf, 0, 16 + 4 * (to - from));
            return h == 0L ? 1L : h;
        }
    }
}
