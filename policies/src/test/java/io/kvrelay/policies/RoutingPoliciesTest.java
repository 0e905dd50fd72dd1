package io.kvrelay.policies;

import static io.kvrelay.policies.FakePod.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingPoliciesTest {
    private static final List<FakePod> IDLE = List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 0),
            new FakePod("a-2", 0, 0));

    @Test
    void shouldTakePodsInTurnPerServiceUnderRoundRobin() {
        RoundRobinPolicy rr = new RoundRobinPolicy();
        List<Integer> a = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            a.add(rr.choose(request("a", "u"), IDLE));
        }
        assertThat(a).containsExactly(0, 1, 2, 0);
        assertThat(rr.choose(request("b", "u"), IDLE)).as("each service has its own turn").isZero();
        assertThat(rr.choose(request("a", "u"), IDLE)).isEqualTo(1);
    }

    @Test
    void shouldPickFewestInFlightAndBreakTiesByFleetOrder() {
        LeastLoadedPolicy ll = new LeastLoadedPolicy();
        assertThat(ll.choose(request("a", "u"), List.of(new FakePod("a-0", 3, 0), new FakePod("a-1", 1, 9),
                new FakePod("a-2", 2, 0)))).isEqualTo(1);
        assertThat(ll.choose(request("a", "u"), List.of(new FakePod("a-0", 2, 0), new FakePod("a-1", 1, 0),
                new FakePod("a-2", 1, 0)))).as("tie between a-1 and a-2").isEqualTo(1);
    }

    @Test
    void shouldReuseAUsersLinkAndLinkNewUsersToSeededRandomPods() {
        StickyOnlyPolicy sticky = new StickyOnlyPolicy(7);
        int first = sticky.choose(request("a", "alice"), IDLE);
        List<FakePod> busy = List.of(new FakePod("a-0", 9, 0), new FakePod("a-1", 9, 0), new FakePod("a-2", 9, 0));
        for (int i = 0; i < 5; i++) {
            assertThat(sticky.choose(request("a", "alice"), busy)).as("link reused whatever the load").isEqualTo(first);
        }
        StickyOnlyPolicy again = new StickyOnlyPolicy(7);
        assertThat(again.choose(request("a", "alice"), IDLE)).as("same seed, same pick").isEqualTo(first);
        java.util.Set<Integer> picks = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            picks.add(sticky.choose(request("a", "user-" + i), IDLE));
        }
        assertThat(picks).as("new users spread over the pods").hasSize(3);
    }

    @Test
    void shouldGiveARequestWithoutAUserARandomPodAndNoLink() {
        StickyOnlyPolicy sticky = new StickyOnlyPolicy(7);
        RoutedRequest anonymous = new RoutedRequest() {
            @Override
            public String service() {
                return "a";
            }

            @Override
            public String userId() {
                return null;
            }

            @Override
            public int promptBlocks() {
                return 4;
            }

            @Override
            public long firstBlockKey() {
                return 1;
            }

            @Override
            public double timeMs() {
                return 0;
            }
        };
        java.util.Set<Integer> picks = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            picks.add(sticky.choose(anonymous, IDLE));
        }
        assertThat(picks).as("not linked: a new random pod each time").hasSize(3);
    }

    @Test
    void shouldKeepEachServicesLinkApart() {
        StickyOnlyPolicy sticky = new StickyOnlyPolicy(7);
        List<FakePod> b = List.of(new FakePod("b-0", 0, 0), new FakePod("b-1", 0, 0), new FakePod("b-2", 0, 0));
        int inA = sticky.choose(request("a", "alice"), IDLE);
        int inB = sticky.choose(request("b", "alice"), b);
        for (int i = 0; i < 5; i++) {
            assertThat(sticky.choose(request("a", "alice"), IDLE)).isEqualTo(inA);
            assertThat(sticky.choose(request("b", "alice"), b)).isEqualTo(inB);
        }
    }

    @Test
    void shouldPickTheLongestCachedPrefixThenTheLeastLoaded() {
        OraclePolicy oracle = new OraclePolicy();
        assertThat(oracle.choose(request("a", "u"), List.of(new FakePod("a-0", 0, 2), new FakePod("a-1", 5, 4),
                new FakePod("a-2", 0, 3)))).as("longest prefix even when busier").isEqualTo(1);
        assertThat(oracle.choose(request("a", "u"), List.of(new FakePod("a-0", 3, 4), new FakePod("a-1", 1, 4),
                new FakePod("a-2", 0, 1)))).as("tie on prefix: fewer in flight").isEqualTo(1);
        assertThat(oracle.choose(request("a", "u"), IDLE)).as("full tie: fleet order").isZero();
    }

    @Test
    void shouldPickARandomPodReproduciblyPerSeedAndReachEveryPod() {
        RandomPolicy a = new RandomPolicy(3);
        RandomPolicy b = new RandomPolicy(3);
        java.util.Set<Integer> picks = new java.util.HashSet<>();
        for (int i = 0; i < 40; i++) {
            int pick = a.choose(request("a", "alice"), IDLE);
            assertThat(b.choose(request("a", "alice"), IDLE)).as("same seed, same picks").isEqualTo(pick);
            picks.add(pick);
        }
        assertThat(picks).as("no link: the same user lands anywhere").hasSize(3);
    }

    @Test
    void shouldAvoidALongPrefillQueueUnderOracleTtftEvenWithTheLongerPrefix() {
        // 4-block prompt, 2 ms per block, 10 ms overhead. a-0 has all 4 blocks but 100 ms of queue: 0 + 100 + 10 =
        // 110 ms; a-1 has none and no queue: 8 + 10 = 18 ms.
        OracleTtftPolicy ttft = new OracleTtftPolicy(new ServiceModel(2, 10, 5));
        List<FakePod> longQueue = List.of(new FakePod("a-0", 3, 3, null, 4, 100), new FakePod("a-1", 0, 0, null, 0, 0));
        assertThat(ttft.choose(request("a", "u"), longQueue)).as("the queue costs more than the prefix saves")
                .isEqualTo(1);
        assertThat(new OraclePolicy().choose(request("a", "u"), longQueue)).as("oracle-hit takes the prefix")
                .isZero();
        // Same pods, a short queue on a-0: 5 + 0 + 10 = 15 ms beats 18 ms.
        List<FakePod> shortQueue = List.of(new FakePod("a-0", 1, 1, null, 4, 5), new FakePod("a-1", 0, 0, null, 0, 0));
        assertThat(ttft.choose(request("a", "u"), shortQueue)).isZero();
    }

    @Test
    void shouldBreakOracleTtftTiesByFewerInFlightThenFleetOrder() {
        OracleTtftPolicy ttft = new OracleTtftPolicy(new ServiceModel(2, 10, 5));
        assertThat(ttft.choose(request("a", "u"), List.of(new FakePod("a-0", 4, 2), new FakePod("a-1", 2, 2),
                new FakePod("a-2", 2, 2)))).as("equal TTFT: fewer in flight, then fleet order").isEqualTo(1);
        assertThat(ttft.choose(request("a", "u"), IDLE)).isZero();
    }
}
