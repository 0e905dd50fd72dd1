package io.kvrelay.bench.router;

import io.kvrelay.router.decide.RouteDecider;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.router.decide.RouteResult;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.links.LinkKey;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.links.LinkStore;
import io.kvrelay.router.links.LinkWrite;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.BlockKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * One routing decision for a 256-block prompt (4,096 tokens) over 64 candidate pods, everything the decider does
 * in-process: the prompt's block keys, pod state from the router's cache, scoring all 64, and the sticky-link logic.
 * The index answer (per-pod matched prefixes) and the link store are in memory, so network and Redis are excluded.
 * Target: ≤ 10 µs per decision. {@code blockKeysOnly} shows how much of it is hashing the prompt.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RouteDecisionBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RouteDecisionBenchmark {
    private static final int PODS = 64;
    private static final int BLOCKS = 256;
    private static final int BS = 16;

    private RouteDecider decider;
    private RouteRequest anonymous;
    private RouteRequest linkedUser;
    private int[] tokens;

    @Setup
    public void setup() throws Exception {
        Random rnd = new Random(1);
        tokens = new int[BLOCKS * BS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(128_000);
        }
        List<PodInfo> pods = new ArrayList<>();
        Map<String, int[]> matches = new HashMap<>();
        for (int i = 0; i < PODS; i++) {
            String name = "pod-" + i;
            pods.add(new PodInfo("ns", "svc", name, i, "10.0.0." + i + ":8000", true, true, false,
                    rnd.nextInt(8), rnd.nextInt(3), rnd.nextDouble() * 0.9, BS, 1000));
            int m = rnd.nextInt(BLOCKS);
            matches.put(name, new int[] {m, m - rnd.nextInt(m + 1) / 4});
        }
        java.util.concurrent.CompletableFuture<io.kvrelay.router.decide.PrefixMatches> answer =
                java.util.concurrent.CompletableFuture.completedFuture(new io.kvrelay.router.decide.PrefixMatches(matches));
        // The benchmark sends ~10^5 decisions a second to the same pods, which would overload any real pod and move
        // the sticky user's link on every call (a Redis write each time): the limits are lifted so every iteration
        // measures the same path, the decision with its in-flight accounting, as before the accounting existed.
        PodScorer scorer = new PodScorer(CostModel.defaults().with("stickySlackMs", "1e12")
                .with("maxInFlight", "1000000000"));
        ServiceStateCache states = new ServiceStateCache((ns, s) -> pods, scorer,
                ServiceStateCache.Config.defaults(), Clock.systemUTC());
        LinkService links = new LinkService(new MemoryLinkStore(), LinkConfig.of("127.0.0.1", 6379, Set.of("ns")),
                new SimpleMeterRegistry());
        decider = new RouteDecider(states, (ns, s, keys, deadline) -> answer, links, scorer,
                new io.kvrelay.router.inflight.InFlightLedger(CostModel.defaults().reportLagMs()),
                new io.kvrelay.router.decide.IndexWait(java.time.Duration.ofMillis(50), 0.1), BS);
        anonymous = new RouteRequest("ns", "svc", null, tokens, null);
        linkedUser = new RouteRequest("ns", "svc", "alice", tokens, null);
        decider.route(linkedUser); // links alice, so the measured path is a sticky hit
    }

    @Benchmark
    public RouteResult decideWithoutUser() throws Exception {
        return decider.route(anonymous);
    }

    @Benchmark
    public RouteResult decideStickyUser() throws Exception {
        return decider.route(linkedUser);
    }

    @Benchmark
    public long[] blockKeysOnly() {
        return BlockKeys.chain(tokens, BS, null);
    }

    /** Links in a map: the decider's Redis round trips are out of this measurement by design. */
    static final class MemoryLinkStore implements LinkStore {
        private final Map<LinkKey, String> links = new ConcurrentHashMap<>();

        @Override
        public Optional<String> get(LinkKey key) {
            return Optional.ofNullable(links.get(key));
        }

        @Override
        public Optional<String> touch(LinkKey key) {
            return get(key);
        }

        @Override
        public LinkWrite setIfAbsent(LinkKey key, String pod) {
            String prev = links.putIfAbsent(key, pod);
            return prev == null ? new LinkWrite(pod, true) : new LinkWrite(prev, false);
        }

        @Override
        public LinkWrite restore(LinkKey key, String pod) {
            return setIfAbsent(key, pod);
        }

        @Override
        public LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod) {
            return links.replace(key, expectedPod, newPod) ? new LinkWrite(newPod, true)
                    : new LinkWrite(links.get(key), false);
        }

        @Override
        public int delete(String namespace, String user) {
            return 0;
        }

        @Override
        public Map<String, String> servicesOf(String namespace, String user) {
            return Map.of();
        }

        @Override
        public Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users) {
            return Map.of();
        }
    }
}
