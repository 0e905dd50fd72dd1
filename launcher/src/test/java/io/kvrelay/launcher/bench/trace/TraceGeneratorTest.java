package io.kvrelay.launcher.bench.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kvrelay.launcher.KvrelayMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TraceGeneratorTest {
    @TempDir
    Path dir;

    private static TraceGenSpec small(long seed, TraceGenSpec.Arrival arrival) {
        return new TraceGenSpec(400, seed, 8, 0.5, 3, 1024, 0.5, 2000, 0.6, 200, 100, 0.5, 8192, 10, arrival, 2);
    }

    private static List<String> lines(List<TraceRecord> trace) {
        return trace.stream().map(MooncakeTrace::line).toList();
    }

    @Test
    void shouldWriteTheSameTracePerSeedAndAnotherForAnotherSeed() {
        TraceGenSpec spec = small(1, TraceGenSpec.Arrival.POISSON);
        assertThat(lines(TraceGenerator.generate(spec))).isEqualTo(lines(TraceGenerator.generate(spec)));
        assertThat(lines(TraceGenerator.generate(small(2, TraceGenSpec.Arrival.POISSON))))
                .isNotEqualTo(lines(TraceGenerator.generate(spec)));
    }

    @Test
    void shouldExtendEachSessionsContextAndShareOnlyItsFullBlocks() {
        List<TraceRecord> trace = TraceGenerator.generate(small(3, TraceGenSpec.Arrival.POISSON));
        Map<String, TraceRecord> last = new HashMap<>();
        int followUps = 0;
        double previous = 0;
        for (TraceRecord r : trace) {
            assertThat(r.hashIds()).as("one id per started 512-token block").hasSize((r.inputLength() + 511) / 512);
            assertThat(r.inputLength()).isBetween(1, 8192);
            assertThat(r.timestampMs()).isGreaterThanOrEqualTo(previous);
            previous = r.timestampMs();
            TraceRecord before = last.put(r.sessionId(), r);
            if (before == null) {
                continue;
            }
            followUps++;
            assertThat(r.inputLength()).as("previous prompt + its output + new user tokens")
                    .isGreaterThan(before.inputLength() + before.outputLength());
            int full = before.inputLength() / 512;
            assertThat(Arrays.copyOf(r.hashIds(), full)).isEqualTo(Arrays.copyOf(before.hashIds(), full));
            if (before.hashIds().length > full) {
                assertThat(r.hashIds()[full]).as("the partial last block grew: a new id")
                        .isNotEqualTo(before.hashIds()[full]);
            }
        }
        assertThat(followUps).as("multi-turn sessions exist").isGreaterThan(50);
        assertThat(TraceFacts.of(trace).reuseShare()).isPositive();
    }

    @Test
    void shouldSpaceArrivalsAsTheChosenProcessAtTheRate() {
        double[] uniform = gaps(TraceGenSpec.Arrival.UNIFORM);
        assertThat(uniform).containsOnly(100.0);
        double[] poisson = gaps(TraceGenSpec.Arrival.POISSON);
        assertThat(mean(poisson)).isCloseTo(100, within(12.0));
        assertThat(cv(poisson)).isCloseTo(1, within(0.2));
        double[] gamma = gaps(TraceGenSpec.Arrival.GAMMA);
        assertThat(mean(gamma)).isCloseTo(100, within(25.0));
        assertThat(cv(gamma)).as("burstiness 2").isCloseTo(2, within(0.5));
    }

    private static double[] gaps(TraceGenSpec.Arrival arrival) {
        List<TraceRecord> t = TraceGenerator.generate(small(4, arrival));
        double[] out = new double[t.size() - 1];
        for (int i = 1; i < t.size(); i++) {
            out[i - 1] = t.get(i).timestampMs() - t.get(i - 1).timestampMs();
        }
        return out;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElseThrow();
    }

    private static double cv(double[] v) {
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).average().orElseThrow()) / m;
    }

    @Test
    void shouldWriteAFileTheReaderReadsBack() throws IOException {
        Path file = dir.resolve("sub/t.jsonl");
        String printed = run("trace-gen", "--out", file.toString(), "--requests", "300", "--seed", "9");
        List<TraceRecord> back = MooncakeTrace.read(file, Integer.MAX_VALUE);
        assertThat(back).hasSize(300);
        TraceGenSpec spec = new TraceGenSpec(300, 9, 32, 0.15, 8, 4096, 0.25, 9500, 0.6, 400, 400, 0.5, 32768, 4.7,
                TraceGenSpec.Arrival.GAMMA, 2);
        assertThat(lines(back)).as("the command's defaults are the spec's above").isEqualTo(
                lines(TraceGenerator.generate(spec)));
        assertThat(printed).startsWith("trace-gen: wrote " + file + ": 300 requests");
    }

    @Test
    void shouldGiveALongContextWorkloadWithModestReuseByDefault() throws IOException {
        Path file = dir.resolve("default.jsonl");
        run("trace-gen", "--out", file.toString());
        TraceFacts f = TraceFacts.of(MooncakeTrace.read(file, Integer.MAX_VALUE));
        assertThat(f.requests()).isEqualTo(2000);
        assertThat(f.meanInputTokens()).isGreaterThanOrEqualTo(10_000);
        assertThat(f.reuseShare()).isBetween(0.15, 0.25);
    }

    @Test
    void shouldRefuseBadParametersWithAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new KvrelayMain()).setErr(new PrintWriter(err)).execute("trace-gen", "--out",
                dir.resolve("x").toString(), "--follow-up-probability", "1.5");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("followUpProbability must be in [0, 1], got 1.5");
        assertThat(new CommandLine(new KvrelayMain()).setErr(new PrintWriter(new StringWriter()))
                .execute("trace-gen")).as("--out is required").isEqualTo(2);
        assertThatThrownBy(() -> TraceGenSpec.Arrival.parse("bursty")).hasMessageContaining("poisson, uniform or gamma");
    }

    /** Runs a kvrelay command and returns what it printed on stdout. */
    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new KvrelayMain()).execute(args)).isZero();
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
