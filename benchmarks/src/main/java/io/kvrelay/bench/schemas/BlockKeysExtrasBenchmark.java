package io.kvrelay.bench.schemas;

import io.kvrelay.schemas.BlockKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Block keys of a 4,096-token prompt (256 blocks of 16) with extra keys, next to the plain path in the same run:
 * <ul>
 *   <li>{@code plainLong}: {@code chain(tokens, 16, 0L, out)}, the path every request without salt or items took
 *       before (and still takes);</li>
 *   <li>{@code plainExtras}: the same through {@code chain(tokens, 16, Extras.NONE, out)}, what the router now calls:
 *       it must cost the same;</li>
 *   <li>{@code salted}: a cache salt (one block mixes it in);</li>
 *   <li>{@code images}: four 576-token images (37 of the 256 blocks each touch one), as a multimodal chat.</li>
 * </ul>
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BlockKeysExtrasBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class BlockKeysExtrasBenchmark {
    static final int TOKENS = 4096;
    static final int BS = 16;

    private int[] tokens;
    private long[] out;
    private BlockKeys.Extras salted;
    private BlockKeys.Extras images;

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        tokens = new int[TOKENS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(128_000);
        }
        out = new long[TOKENS / BS];
        salted = BlockKeys.Extras.of(null, "tenant-42", null);
        List<BlockKeys.MmItem> items = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            items.add(new BlockKeys.MmItem(Long.toHexString(rnd.nextLong()) + Long.toHexString(rnd.nextLong()),
                    100 + 1000 * i, 576));
        }
        images = BlockKeys.Extras.of(null, null, items);
    }

    @Benchmark
    public int plainLong() {
        return BlockKeys.chain(tokens, BS, 0L, out);
    }

    @Benchmark
    public int plainExtras() {
        return BlockKeys.chain(tokens, BS, BlockKeys.Extras.NONE, out);
    }

    @Benchmark
    public int salted() {
        return BlockKeys.chain(tokens, BS, salted, out);
    }

    @Benchmark
    public int images() {
        return BlockKeys.chain(tokens, BS, images, out);
    }
}
