package io.kvrelay.launcher.bench;

import io.kvrelay.launcher.RunDir;
import io.kvrelay.launcher.bench.trace.TraceFormatException;
import io.kvrelay.launcher.bench.trace.TraceInput;
import io.kvrelay.policies.KvrelayCostPolicy;
import io.kvrelay.policies.LeastLoadedPolicy;
import io.kvrelay.policies.OraclePolicy;
import io.kvrelay.policies.OracleTtftPolicy;
import io.kvrelay.policies.RandomPolicy;
import io.kvrelay.policies.RoundRobinPolicy;
import io.kvrelay.policies.RoutingPolicy;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.policies.StickyOnlyPolicy;
import io.kvrelay.router.scoring.CostModel;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvrelay bench-routing}: one request stream (the generated chat workload, or a Mooncake-format trace with
 * {@code --trace}) replayed through the routing policies (kvrelay on the real pipeline in real time; sticky-only,
 * round-robin, least-loaded, random and two oracles in-process on the same simulated cache model and service-time
 * model), with hit rate, load imbalance and modelled TTFT for each, and kvrelay's router latency and index freshness,
 * written as JSON, markdown and SVG.
 */
@Command(name = "bench-routing", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compares routing policies on exactly the same request stream, generated or read from a "
                + "Mooncake-format trace (--trace): kvrelay (the whole pipeline, requests routed over HTTP, real "
                + "time), sticky-only (the seeds: a user's link, else a random pod), round-robin, least-loaded (fewest "
                + "in flight), random, oracle-hit (longest cached prefix by the simulator's ground truth, ties by "
                + "load) and oracle-ttft (lowest predicted TTFT from exact caches and prefill queues). The baselines "
                + "run in-process with a simulated clock on fresh caches of the same model, capacity and seeds, with "
                + "the same arrivals and service-time model.",
                "Writes routing-benchmark.{json,md,svg} into --out and prints the table. See docs/routing-benchmark.md."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--services", split = ",", defaultValue = "llama-8b,qwen-7b",
            description = "services (one model each), comma-separated; requests alternate between them (default: ${DEFAULT-VALUE})")
    List<String> services;

    @Option(names = "--pods-per-service", defaultValue = "4", description = "simulated pods per service (default: ${DEFAULT-VALUE})")
    int podsPerService;

    @Option(names = "--users", defaultValue = "64",
            description = "open conversations per service, one user each; a new one replaces a random open one (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--follow-up-probability", defaultValue = "0.8",
            description = "chance a request is the next turn of an open conversation rather than a new one (default: ${DEFAULT-VALUE})")
    double followUp;

    @Option(names = "--max-prompt-tokens", defaultValue = "4096",
            description = "a conversation ends when its next turn would exceed this many tokens; bounds turns per conversation (default: ${DEFAULT-VALUE})")
    int maxPromptTokens;

    @Option(names = "--system-prompts", defaultValue = "4", description = "shared system prompts per service (default: ${DEFAULT-VALUE})")
    int systemPrompts;

    @Option(names = "--system-prompt-tokens", defaultValue = "512", description = "tokens per shared system prompt (default: ${DEFAULT-VALUE})")
    int systemPromptTokens;

    @Option(names = "--user-tokens-min", defaultValue = "32", description = "shortest user turn, tokens (default: ${DEFAULT-VALUE})")
    int userTokensMin;

    @Option(names = "--user-tokens-max", defaultValue = "256", description = "longest user turn, tokens (default: ${DEFAULT-VALUE})")
    int userTokensMax;

    @Option(names = "--output-tokens", defaultValue = "128",
            description = "reply tokens per request: decode time, and part of the next turn's prompt (default: ${DEFAULT-VALUE})")
    int outputTokens;

    @Option(names = "--capacity-blocks", defaultValue = "1024",
            description = "KV-cache capacity per pod in 16-token blocks; small enough that eviction matters (default: ${DEFAULT-VALUE})")
    int capacityBlocks;

    @Option(names = "--rate", defaultValue = "20", description = "requests per second over all services, evenly spaced (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--duration", defaultValue = "120",
            description = "seconds of arrivals; the stream has rate x duration requests (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--seed", defaultValue = "42",
            description = "seed of the workload (service i uses seed + i) and of sticky-only's random picks (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--prefill-ms-per-block", defaultValue = "2",
            description = "TTFT model: prefill time per uncached 16-token block (default: ${DEFAULT-VALUE})")
    double prefillMsPerBlock;

    @Option(names = "--overhead-ms", defaultValue = "10", description = "TTFT model: fixed time per request (default: ${DEFAULT-VALUE})")
    double overheadMs;

    @Option(names = "--decode-ms-per-token", defaultValue = "10",
            description = "service model: decode time per output token; the request stays in flight until then (default: ${DEFAULT-VALUE})")
    double decodeMsPerToken;

    @Option(names = "--sample-ms", defaultValue = "100",
            description = "load imbalance: in-flight counts are sampled every this many ms of the run (default: ${DEFAULT-VALUE})")
    double sampleMs;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "replay this Mooncake-format trace (JSON lines: timestamp, input_length, output_length, "
                    + "hash_ids, optional session_id) instead of generating the chat workload; the workload options "
                    + "above then do not apply, the fleet and service-model options do. See `kvrelay trace-gen`")
    Path trace;

    @Option(names = "--time-scale", defaultValue = "1",
            description = "with --trace: arrival times are multiplied by this (0.5 = twice as fast) (default: ${DEFAULT-VALUE})")
    double timeScale;

    @Option(names = "--limit", paramLabel = "N",
            description = "with --trace: replay only its first N requests (default: all)")
    Integer limit;

    @Option(names = "--routers", defaultValue = "1",
            description = "router replicas in the kvrelay run, requests dealt to them in turn; they share sticky "
                    + "links (Redis) and each other's in-flight work (route-decisions topic) (default: ${DEFAULT-VALUE})")
    int routers;

    @Option(names = "--front-door",
            description = "the kvrelay run sends each request to the router's OpenAI front door (POST /v1/completions "
                    + "with the prompt's token ids, streamed) and the pods' own engines serve it with the model's "
                    + "times: TTFT and finish are measured at the client, not modelled; no router latency or "
                    + "freshness figures then")
    boolean frontDoor;

    @Option(names = "--cost", paramLabel = "KEY=VALUE",
            description = "a cost constant of the routers (and of kvrelay-exact) other than its default ("
                    + CostModel.KEYS + "); prefillMsPerBlock defaults to --prefill-ms-per-block; repeatable")
    List<String> costs = List.of();

    @Option(names = "--sweep", paramLabel = "KEY=V1,V2,...",
            description = "also run kvrelay's cost model in-process (exact, instant load, as kvrelay-exact) once per "
                    + "value of this cost constant (" + CostModel.KEYS + "); repeatable")
    List<String> sweeps = List.of();

    @Option(names = "--out",
            description = "output directory (default: this run's own directory under the temp dir, next to its log, "
                    + "printed at start)")
    Path out;

    @Option(names = "--skip-kvrelay",
            description = "only the in-process baselines (seconds instead of minutes; no targets are checked)")
    boolean skipKvrelay;

    private final PrintStream console = System.out;
    private final PrintStream errors = System.err;

    @Override
    public Integer call() throws Exception {
        WorkloadSpec spec = new WorkloadSpec(services, podsPerService, users, systemPrompts, systemPromptTokens,
                userTokensMin, userTokensMax, outputTokens, followUp, maxPromptTokens, capacityBlocks, rate,
                durationSeconds, seed);
        ServiceModel model = new ServiceModel(prefillMsPerBlock, overheadMs, decodeMsPerToken);
        FleetLayout layout = FleetLayout.of(spec);
        if (trace == null && (limit != null || timeScale != 1)) {
            errors.println("bench-routing: --time-scale and --limit apply to a trace: give --trace FILE");
            return 2;
        }
        TraceInput traceInput;
        try {
            traceInput = trace == null ? null
                    : TraceInput.load(trace, timeScale, limit == null ? Integer.MAX_VALUE : limit);
        } catch (TraceFormatException | IllegalArgumentException | NoSuchFileException e) {
            // A bad trace is the user's input, not a bug: say where, without a stack trace.
            errors.println("bench-routing: cannot read the trace: " + e.getMessage());
            return 2;
        }
        // The routers are told the pods' prefill speed, as an operator configures the speed measured on their pods.
        CostModel cost = CostModel.defaults().with("prefillMsPerBlock", Double.toString(prefillMsPerBlock));
        List<RoutingPolicy> sweep;
        try {
            for (String c : costs) {
                String[] kv = c.split("=", 2);
                if (kv.length != 2) {
                    throw new IllegalArgumentException("--cost: expected KEY=VALUE, got '" + c + "'");
                }
                cost = cost.with(kv[0], kv[1]);
            }
            sweep = SweepPolicies.of(cost, sweeps);
        } catch (IllegalArgumentException e) {
            errors.println("bench-routing: " + e.getMessage());
            return 2;
        }
        if (routers < 1 || routers > 8) {
            errors.println("bench-routing: --routers must be 1..8, got " + routers);
            return 2;
        }
        // Each run its own directory by default: never a file in the repository, never another run's results.
        Path run = RunDir.of("bench-routing");
        if (out == null) {
            out = run;
        }
        List<BenchRequest> stream = RequestStream.of(spec, traceInput);
        BenchReport.StreamFacts facts = BenchReport.StreamFacts.of(stream);
        if (traceInput != null) {
            console.println("trace " + trace + ": " + BenchReport.traceLine(traceInput.facts(), timeScale));
        }
        console.printf("bench-routing: %d requests at %.1f req/s, %d services x %d pods, %d blocks/pod; output %s%n",
                stream.size(), traceInput == null || facts.durationSeconds() == 0 ? rate
                        : stream.size() / facts.durationSeconds(),
                services.size(), podsPerService, capacityBlocks, out.toAbsolutePath());

        List<PolicyResult> results = new ArrayList<>();
        if (!skipKvrelay) {
            console.println("kvrelay: starting the pipeline (log: " + RunDir.log() + ")");
            try {
                KvrelayRun.Outcome o = KvrelayRun.run(spec, stream, layout, model, cost, routers, frontDoor,
                        RunDir.data(run), console::println);
                results.add(PolicyResult.of("kvrelay", o.served(), layout, sampleMs, model, o.extras()));
            } finally {
                RunDir.cleanUp(run);  // the broker's and stream-app's files; the log and results stay
            }
        }
        List<RoutingPolicy> policies = new ArrayList<>(List.of(new KvrelayCostPolicy("kvrelay-exact", cost),
                new StickyOnlyPolicy(seed), new RoundRobinPolicy(), new LeastLoadedPolicy(), new RandomPolicy(seed),
                new OraclePolicy(), new OracleTtftPolicy(model)));
        policies.addAll(sweep);
        for (RoutingPolicy p : policies) {
            long started = System.nanoTime();
            List<Served> served = InProcessRun.run(p, stream, layout, capacityBlocks, model);
            console.printf("%s: in-process, simulated clock (%.1f s)%n", p.name(), (System.nanoTime() - started) / 1e9);
            results.add(PolicyResult.of(p.name(), served, layout, sampleMs, model, null));
        }
        List<Targets.Target> targets = skipKvrelay ? List.of() : traceInput == null
                ? Targets.chat(results.get(0), byName(results, "oracle-hit"), byName(results, "round-robin"))
                : Targets.trace(results.get(0), byName(results, "oracle-hit"), byName(results, "oracle-ttft"),
                byName(results, "round-robin"));
        RunDir.cleanUp(run);  // with --out elsewhere and no log file, an empty run directory: gone
        BenchReport.write(out, spec, traceInput, model, cost, routers, sampleMs, facts, results, targets);
        console.println();
        console.print(BenchReport.markdown(spec, traceInput, facts, results, targets));
        console.println("wrote " + out.resolve(BenchReport.BASENAME + ".{json,md,svg}"));
        return 0;
    }

    private static PolicyResult byName(List<PolicyResult> results, String name) {
        return results.stream().filter(r -> r.policy().equals(name)).findFirst().orElseThrow();
    }

}
