package io.kvrelay.launcher.bench.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvrelay trace-gen}: writes a synthetic multi-turn trace in the Mooncake format ({@link TraceGenerator}), so
 * the benchmark, its tests and docs replay traces of their own. The defaults give a long-context workload (see
 * docs/routing-benchmark.md for their measured figures). There is no default output file: a trace is data, and it
 * does not belong in the repository unless someone puts it there on purpose.
 */
@Command(name = "trace-gen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes a synthetic multi-turn request trace in the Mooncake JSONL format (timestamp, "
                + "input_length, output_length, hash_ids, session_id) for `kvrelay bench-routing --trace`.",
                "Prints its requests, mean prompt and reuse share (share of 512-token blocks whose whole prefix "
                        + "appeared earlier) on stdout, or on stderr when the trace goes to stdout."})
public final class TraceGenCommand implements Callable<Integer> {
    @Spec
    CommandSpec commandSpec;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the trace file to write, or - for stdout")
    String out;

    @Option(names = "--requests", defaultValue = "2000", description = "requests in the trace (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--seed", defaultValue = "42", description = "random seed: the same seed writes the same trace (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--sessions", defaultValue = "32",
            description = "sessions open at once; a new one replaces a random open one (default: ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--follow-up-probability", defaultValue = "0.15",
            description = "chance a request is the next turn of an open session rather than a new session (default: ${DEFAULT-VALUE})")
    double followUp;

    @Option(names = "--shared-prefixes", defaultValue = "8",
            description = "documents or system prompts shared across sessions (default: ${DEFAULT-VALUE})")
    int sharedPrefixes;

    @Option(names = "--shared-prefix-tokens", defaultValue = "4096", description = "tokens per shared prefix (default: ${DEFAULT-VALUE})")
    int sharedPrefixTokens;

    @Option(names = "--shared-prefix-probability", defaultValue = "0.25",
            description = "chance a new session starts with a shared prefix (default: ${DEFAULT-VALUE})")
    double sharedPrefixProbability;

    @Option(names = "--prompt-tokens-mean", defaultValue = "9500",
            description = "first turn's own tokens (after a shared prefix), lognormal mean (default: ${DEFAULT-VALUE})")
    double promptTokensMean;

    @Option(names = "--prompt-tokens-cv", defaultValue = "0.6",
            description = "... and its coefficient of variation (default: ${DEFAULT-VALUE})")
    double promptTokensCv;

    @Option(names = "--user-tokens-mean", defaultValue = "400",
            description = "new user tokens of a later turn, lognormal mean, cv 0.5 (default: ${DEFAULT-VALUE})")
    double userTokensMean;

    @Option(names = "--output-tokens-mean", defaultValue = "400", description = "output tokens, lognormal mean (default: ${DEFAULT-VALUE})")
    double outputTokensMean;

    @Option(names = "--output-tokens-cv", defaultValue = "0.5",
            description = "... and its coefficient of variation (default: ${DEFAULT-VALUE})")
    double outputTokensCv;

    @Option(names = "--max-prompt-tokens", defaultValue = "32768",
            description = "a session ends when its next prompt would exceed this; first turns are cut to it (default: ${DEFAULT-VALUE})")
    int maxPromptTokens;

    @Option(names = "--rate", defaultValue = "4.7", description = "mean arrivals per second (default: ${DEFAULT-VALUE})")
    double rate;

    // Bursty by default: request traces of LLM services arrive in bursts (gaps far more variable than Poisson's), and
    // bursts are where a router that sees queues differs from one that does not.
    @Option(names = "--arrival", defaultValue = "gamma", paramLabel = "poisson|uniform|gamma",
            description = "arrival process: exponential, equal or gamma gaps (default: ${DEFAULT-VALUE})")
    String arrival;

    @Option(names = "--burstiness", defaultValue = "2",
            description = "with --arrival gamma: coefficient of variation of the gaps, 1 = Poisson (default: ${DEFAULT-VALUE})")
    double burstiness;

    @Override
    public Integer call() throws IOException {
        TraceGenSpec spec;
        try {
            spec = new TraceGenSpec(requests, seed, sessions, followUp, sharedPrefixes, sharedPrefixTokens,
                    sharedPrefixProbability, promptTokensMean, promptTokensCv, userTokensMean, outputTokensMean,
                    outputTokensCv, maxPromptTokens, rate, TraceGenSpec.Arrival.parse(arrival), burstiness);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(commandSpec.commandLine(), e.getMessage(), e);
        }
        List<TraceRecord> trace = TraceGenerator.generate(spec);
        boolean toStdout = out.equals("-");
        PrintStream stdout = System.out;
        if (toStdout) {
            Writer w = new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
            write(trace, w);
            w.flush(); // not closed: it is the process's stdout
        } else {
            Path file = Path.of(out);
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                write(trace, w);
            }
        }
        // The summary must not end up inside a trace written to stdout.
        (toStdout ? System.err : stdout).println("trace-gen: wrote " + out + ": " + TraceFacts.of(trace).summary());
        return 0;
    }

    private static void write(List<TraceRecord> trace, Writer w) throws IOException {
        for (TraceRecord r : trace) {
            w.write(MooncakeTrace.line(r));
            w.write('\n');
        }
    }
}
