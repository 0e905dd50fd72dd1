package io.kvrelay.policies;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.InFlight;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvrelayCostPolicyTest {
    private static final CostModel DEFAULTS = CostModel.defaults();

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
    void shouldLeaveAPrefixBehindWhenItsQueueCostsMoreThanRecomputing() {
        // a-0 holds the whole 500-block prompt but has 1.5 s of prefill queued; a-1 holds 100 blocks, queue empty:
        // a-1 computes 400 blocks (800 ms) and answers first.
        List<FakePod> pods = List.of(new FakePod("a-0", 3, 2, null, 500, 1_500), new FakePod("a-1", 0, 0, null, 100, 0));
        assertThat(new KvrelayCostPolicy("kvrelay", DEFAULTS).choose(anonymous(500), pods)).isEqualTo(1);
        // with a short queue the prefix wins
        List<FakePod> shortQueue = List.of(new FakePod("a-0", 1, 1, null, 500, 300), new FakePod("a-1", 0, 0, null, 100, 0));
        assertThat(new KvrelayCostPolicy("kvrelay", DEFAULTS).choose(anonymous(500), shortQueue)).isZero();
    }

    @Test
    void shouldPickWhatRouterApisScorerPicks() {
        List<FakePod> pods = List.of(new FakePod("a-0", 1, 1, null, 10, 40), new FakePod("a-1", 1, 0, null, 10, 0),
                new FakePod("a-2", 3, 0, 0.9, 10, 0));
        int chosen = new KvrelayCostPolicy("kvrelay", DEFAULTS).choose(anonymous(10), pods);
        assertThat(chosen).as("a-0 has 40 ms queued, a-2 two more running requests").isEqualTo(1);
        List<PodInfo> infos = List.of(info("a-0", 0, 1, null), info("a-1", 1, 0, null), info("a-2", 3, 0, 0.9));
        List<PodScorer.Score> ranked = new PodScorer(DEFAULTS).rank(infos, 10, new PodScorer.Matches() {
            @Override
            public int matched(String pod) {
                return 10;
            }

            @Override
            public int gpuMatched(String pod) {
                return 10;
            }
        }, new InFlight() {
            @Override
            public double queuedMs(String pod) {
                return pod.equals("a-0") ? 40 : 0;
            }

            @Override
            public int unreported(String pod) {
                return 0;
            }

            @Override
            public double meanPrefillMs(String pod) {
                return pod.equals("a-0") ? 40 : Double.NaN;
            }
        }, 42);
        assertThat(ranked.get(0).pod().pod()).as("the same pick as router-api's scorer").isEqualTo("a-1");
    }

    @Test
    void shouldKeepAStickyUserWhileItsPodIsNotOverloadedNorMuchSlower() {
        KvrelayCostPolicy p = new KvrelayCostPolicy("kvrelay", DEFAULTS.with("maxInFlight", "3"));
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 10))))
                .as("created on the best pod").isEqualTo(1);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 10), new FakePod("a-1", 2, 0))))
                .as("kept although a-0 is now cheaper (by 20 ms, within the 500 ms slack)").isEqualTo(1);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 3, 10))))
                .as("a-1 at maxInFlight: moved").isZero();
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 10))))
                .as("the link now points at a-0").isZero();
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 1, 1, null, 0, 900),
                        new FakePod("a-1", 0, 0, null, 0, 0))))
                .as("a-0 900 ms behind a-1, beyond the slack: moved").isEqualTo(1);
        assertThat(p.choose(of("alice", 10), List.of(new FakePod("a-0", 0, 10))))
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
        assertThat(new KvrelayCostPolicy("kvrelay", DEFAULTS.with("maxInFlight", "1")).choose(of("bob", 10),
                List.of(new FakePod("a-0", 2, 0), new FakePod("a-1", 1, 0)))).isEqualTo(1);
    }

    private static PodInfo info(String pod, int running, int waiting, Double usage) {
        return new PodInfo("", "ns/a", pod, null, null, true, true, false, running, waiting, usage, null, 0);
    }
}
