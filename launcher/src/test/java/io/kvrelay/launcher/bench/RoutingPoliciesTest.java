package io.kvrelay.launcher.bench;

import static io.kvrelay.launcher.bench.FakePod.request;
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
    void shouldSeeTheModelPodsRealCacheInTheOracle() {
        ModelPod warm = new ModelPod("a-0", 64, 1000);
        ModelPod cold = new ModelPod("a-1", 64, 1001);
        int[] tokens = new int[16 * 5];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        BenchRequest first = new BenchRequest(0, "a", "u", java.util.Arrays.copyOf(tokens, 48), null, 0, 0, 1);
        BenchRequest longer = new BenchRequest(1, "a", "u", tokens, null, 1, 10, 1);
        assertThat(warm.serve(first)).as("nothing cached yet").isZero();
        assertThat(warm.cachedPrefixBlocks(longer)).isEqualTo(3);
        assertThat(cold.cachedPrefixBlocks(longer)).isZero();
        assertThat(new OraclePolicy().choose(longer, List.of(cold, warm))).isEqualTo(1);
        assertThat(warm.serve(longer)).as("served hit equals what the oracle saw").isEqualTo(3);
    }
}
