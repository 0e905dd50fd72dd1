package io.kvrelay.bench.encode;

import io.kvrelay.router.decisions.RouteDecisionEncoder;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * The decision publisher's encode cost per decision: Avro's own single-object encoder (what it used before) against
 * the byte-identical {@link RouteDecisionEncoder}, on a decision as the router builds it (block keys as a list of
 * boxed longs, 16 candidates scored); {@code blocks} is the prompt's length in blocks (64 = 1,024 tokens).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RouteDecisionEncoderBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RouteDecisionEncoderBenchmark {
    @Param({"8", "64", "512"})
    int blocks;

    private RouteDecision decision;
    private final RouteDecisionEncoder fast = new RouteDecisionEncoder();
    private final AvroCodec<RouteDecision> avro = AvroCodec.routeDecisions();

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(3);
        List<Long> keys = new ArrayList<>(blocks);
        for (int i = 0; i < blocks; i++) {
            keys.add(rnd.nextLong());
        }
        List<CandidateScore> cands = new ArrayList<>();
        for (int p = 0; p < 16; p++) {
            cands.add(new CandidateScore("llama-8b-" + p, rnd.nextInt(blocks + 1), rnd.nextInt(blocks + 1),
                    rnd.nextDouble() * 500, rnd.nextInt(40), rnd.nextInt(5), rnd.nextDouble(), rnd.nextDouble() * 100));
        }
        decision = RouteDecision.newBuilder().setNamespace("prod").setService("llama-8b").setUserId("user-1234")
                .setBlockKeys(keys).setChosenPod("prod/llama-8b/llama-8b-3").setReason("sticky").setSticky(true)
                .setCandidates(cands).setLatencyMicros(412).setAtMicros(1_757_500_000_000_000L)
                .setRouterId("router-0").setPrefillMs(12.5).build();
        if (!Arrays.equals(fast.encode(decision), avro.encode(decision))) {
            throw new IllegalStateException("encoders disagree");
        }
    }

    @Benchmark
    public byte[] avroEncoder() {
        return avro.encode(decision);
    }

    @Benchmark
    public byte[] kvrelayEncoder() {
        return fast.encode(decision);
    }
}
