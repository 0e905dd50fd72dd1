package io.kvrelay.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.scoring.CostWeights;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvrelayCostPolicyTest {
    private static final CostWeights DEFAULTS = CostWeights.defaults();
    private static final CostWeights CACHE_ONLY = new CostWeights(0.25, 0, 0, 0, 64, 0.98);

    /** A request of {@code blocks} prompt blocks with a fixed first block key. */
    private record Req(String service, String userId, int promptBlocks, long firstBlockKey) implements RoutedRequest {
        @Override
        public double timeMs() {
            return 0;
        }
    }

    private static Req anonymous(int blocks) {
        return new Req("ns/a", null, blocks, 42);
    }

    private static Req of(String user, int blocks) {
        return new Req("ns/a", user, blocks, 42);
    }

    @Test
    void shouldMoveARequestOffABusyPodUnderLoadWeightsButNotWithoutThem() {
        // a-0 holds the whole 20-block prompt but runs 5 requests: 4 x 5 = 20 blocks of load vs 12 uncached on a-1.
        List<FakePod> pods = List.of(new FakePod("a-0", 5, 20), new FakePod("a-1", 0, 8), new FakePod("a-2", 0, 0));
        assertThat(new KvrelayCostPolicy("kvrelay", DEFAULTS).choose(anonymous(20), pods)).isEqualTo(1);
        assertThat(new KvrelayCostPolicy("cache-only", CACHE_ONLY).choose(anonymous(20), pods)).isZero();
    }

    @Test
    void shouldChargeWaitingRequestsAndKvUsageAsThePodScorerDoes() {
        List<FakePod> pods = List.of(new FakePod("a-0", 1, 1, null, 10), new FakePod("a-1", 1, 0, null, 10),
                new FakePod("a-2", 1, 0, 0.9, 10));
        int chosen = new KvrelayCostPolicy("kvrelay", DEFAULTS).choose(anonymous(10), pods);
        assertThat(chosen).as("waiting costs 16, KV usage 0.9 x 8, running 4").isEqualTo(1);
        List<PodInfo> infos = List.of(info("a-0", 0, 1, null), info("a-1", 1, 0, null), info("a-2", 1, 0, 0.9));
        List<PodScorer.Score> ranked = new PodScorer(DEFAULTS).rank(infos, 10, new PodScorer.Matches() {
            @Override
            public int matched(String pod) {
                return 10;
            }

            @Override
            public int gpuMatched(String pod) {
                return 10;
            }
        }, 42);
        assertThat(ranked.get(0).pod().pod()).as("the same pick as router-api's scorer").isEqualTo("a-1");
    }

    @Test
    void shouldKeepAStickyUserUntilTheLinkedPodIsOverloaded() {
        CostWeights smallLimit = new CostWeights(0.25, 4, 16, 8, 3, 0.98);
        KvrelayCostPolicy p = new KvrelayCostPolicy("kvrelay", smallLimit);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 10))))
                .as("created on the best pod").isEqualTo(1);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 10), new FakePod("a-1", 2, 0))))
                .as("kept although a-0 is now cheaper").isEqualTo(1);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 3, 10))))
                .as("a-1 at maxInFlight: moved").isZero();
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 10))))
                .as("the link now points at a-0").isZero();
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-1", 0, 10))))
                .as("a linked pod that is no candidate moves the link").isZero();
    }

    @Test
    void shouldNotLinkARequestWithoutAUser() {
        KvrelayCostPolicy p = new KvrelayCostPolicy("kvrelay", DEFAULTS);
        assertThat(p.choose(anonymous(10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 10)))).isEqualTo(1);
        assertThat(p.choose(anonymous(10), List.of(new FakePod("a-0", 0, 10), new FakePod("a-1", 0, 0)))).isZero();
    }

    @Test
    void shouldTakeTheCheapestPodWhenAllAreOverloaded() {
        CostWeights smallLimit = new CostWeights(0.25, 4, 16, 8, 1, 0.98);
        assertThat(new KvrelayCostPolicy("kvrelay", smallLimit).choose(of("bob", 10),
                List.of(new FakePod("a-0", 2, 0), new FakePod("a-1", 1, 0)))).isEqualTo(1);
    }

    private static PodInfo info(String pod, int running, int waiting, Double usage) {
        return new PodInfo("", "ns/a", pod, null, null, true, true, false, running, waiting, usage, null, 0);
    }
}
