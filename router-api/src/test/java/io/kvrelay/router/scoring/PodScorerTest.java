package io.kvrelay.router.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.router.state.PodInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PodScorerTest {
    private final PodScorer scorer = new PodScorer(CostWeights.defaults());

    private static PodInfo pod(String name, Integer running, Integer waiting, Double usage) {
        return new PodInfo("ns", "svc", name, null, null, true, true, false, running, waiting, usage, 16, 0);
    }

    private static PodScorer.Matches matches(Map<String, int[]> m) {
        return new PodScorer.Matches() {
            @Override
            public int matched(String pod) {
                return m.getOrDefault(pod, new int[] {0, 0})[0];
            }

            @Override
            public int gpuMatched(String pod) {
                return m.getOrDefault(pod, new int[] {0, 0})[1];
            }
        };
    }

    @Test
    void shouldPreferTheLongestCachedPrefixOnEquallyLoadedPods() {
        List<PodScorer.Score> r = scorer.rank(List.of(pod("a", 1, 0, 0.5), pod("b", 1, 0, 0.5)), 100,
                matches(Map.of("a", new int[] {10, 10}, "b", new int[] {80, 80})), 7);

        assertThat(r.get(0).pod().pod()).isEqualTo("b");
        assertThat(r.get(0).cost()).isEqualTo(20 + 4 + 4.0);
    }

    @Test
    void shouldTradeCacheHitsAgainstLoad() {
        // b holds 20 more blocks but has 2 more requests waiting (2 x 16 = 32 blocks' worth): a wins.
        List<PodScorer.Score> r = scorer.rank(List.of(pod("a", 0, 0, null), pod("b", 0, 2, null)), 100,
                matches(Map.of("a", new int[] {50, 50}, "b", new int[] {70, 70})), 7);

        assertThat(r).extracting(s -> s.pod().pod()).containsExactly("a", "b");
    }

    /** Issue 12: a hung pod whose scrapes failed was scored as idle and drew 48% of the traffic in a fault test. */
    @Test
    void shouldNeverTakeAnUnknownLoadForAnIdlePod() {
        List<PodScorer.Score> r = scorer.rank(List.of(pod("silent", null, null, null), pod("calm", 1, 0, 0.1),
                pod("busy", 3, 1, 0.6)), 100, matches(Map.of()), 7);

        assertThat(r.get(0).pod().pod()).isEqualTo("calm");
        assertThat(r.get(1).cost()).as("the silent pod costs as much as the busiest reported one")
                .isEqualTo(r.get(2).cost());
        // and with a better prefix it still wins on that prefix, at the busiest known load
        List<PodScorer.Score> hit = scorer.rank(List.of(pod("silent", null, null, null), pod("busy", 3, 1, 0.6)), 100,
                matches(Map.of("silent", new int[] {90, 90})), 7);
        assertThat(hit.get(0).pod().pod()).isEqualTo("silent");
        assertThat(hit.get(0).pod().running()).isEqualTo(3);
    }

    @Test
    void shouldChooseTheBestPodThatIsNotOverloadedAndTheCheapestWhenAllAre() {
        // "hot" holds the whole prompt but has 64 requests in flight: overloaded, though cheapest by far.
        List<PodScorer.Score> r = scorer.rank(List.of(pod("hot", 40, 24, 0.5), pod("cold", 0, 0, 0.1)), 1_000,
                matches(Map.of("hot", new int[] {1_000, 1_000})), 7);
        assertThat(r.get(0).pod().pod()).isEqualTo("hot");
        assertThat(PodScorer.best(r).pod().pod()).isEqualTo("cold");

        List<PodScorer.Score> allHot = scorer.rank(List.of(pod("a", 64, 0, null), pod("b", 70, 0, null)), 10,
                matches(Map.of()), 7);
        assertThat(PodScorer.best(allHot).pod().pod()).isEqualTo("a");
        assertThat(PodScorer.best(List.of())).isNull();
    }

    @Test
    void shouldValueCpuOnlyHitsBelowGpuHits() {
        List<PodScorer.Score> r = scorer.rank(List.of(pod("gpu", 0, 0, null), pod("cpu", 0, 0, null)), 40,
                matches(Map.of("gpu", new int[] {30, 30}, "cpu", new int[] {32, 0})), 7);

        assertThat(r.get(0).pod().pod()).isEqualTo("gpu");
        assertThat(r.get(1).cost()).isEqualTo(8 + 0.25 * 32);
    }

    /** {matched, gpuMatched, memoryMatched}: GPU is free, CPU a quarter, STORAGE half a recompute by default. */
    @Test
    void shouldPriceStorageHitsAsTheirOwnTierBelowCpuHits() {
        PodScorer.Matches m = new PodScorer.Matches() {
            private final Map<String, int[]> byPod = Map.of("gpu", new int[] {21, 21, 21},
                    "cpu", new int[] {40, 0, 40}, "storage", new int[] {40, 0, 0}, "mixed", new int[] {40, 20, 30});

            @Override
            public int matched(String pod) {
                return byPod.get(pod)[0];
            }

            @Override
            public int gpuMatched(String pod) {
                return byPod.get(pod)[1];
            }

            @Override
            public int memoryMatched(String pod) {
                return byPod.get(pod)[2];
            }
        };
        List<PodScorer.Score> r = scorer.rank(List.of(pod("gpu", 0, 0, null), pod("cpu", 0, 0, null),
                pod("storage", 0, 0, null), pod("mixed", 0, 0, null)), 40, m, 7);

        Map<String, Double> cost = new HashMap<>();
        r.forEach(s -> cost.put(s.pod().pod(), s.cost()));
        assertThat(cost.get("gpu")).isEqualTo(19.0);
        assertThat(cost.get("cpu")).isEqualTo(0.25 * 40);
        assertThat(cost.get("storage")).isEqualTo(0.5 * 40);
        assertThat(cost.get("mixed")).isEqualTo(0.25 * 10 + 0.5 * 10);
        assertThat(r).extracting(s -> s.pod().pod()).containsExactly("mixed", "cpu", "gpu", "storage");
        assertThat(r.get(0).memoryMatched()).isEqualTo(30);
        // A storage hit, however cheap it is made, is still configurable apart from CPU.
        assertThat(new PodScorer(new CostWeights(0.25, 0.9, 4, 16, 8, 64, 0.98))
                .cost(pod("s", 0, 0, null), 40, 40, 0, 0)).isEqualTo(0.9 * 40);
    }

    @Test
    void shouldTreatAnUnknownMemoryPrefixAsAllInMemory() {
        // A Matches without memoryMatched (older stream-app, simulators): every non-GPU hit is priced as CPU.
        List<PodScorer.Score> r = scorer.rank(List.of(pod("cpu", 0, 0, null)), 40,
                matches(Map.of("cpu", new int[] {32, 0})), 7);
        assertThat(r.get(0).memoryMatched()).isEqualTo(32);
        assertThat(r.get(0).cost()).isEqualTo(8 + 0.25 * 32);
    }

    @Test
    void shouldBreakTiesDeterministicallyButNotAlwaysTowardTheSamePod() {
        List<PodInfo> idle = List.of(pod("a", 0, 0, null), pod("b", 0, 0, null), pod("c", 0, 0, null));
        Set<String> winners = new HashSet<>();
        for (long key = 0; key < 64; key++) {
            String first = scorer.rank(idle, 10, matches(Map.of()), key).get(0).pod().pod();
            assertThat(scorer.rank(idle, 10, matches(Map.of()), key).get(0).pod().pod()).isEqualTo(first);
            winners.add(first);
        }
        assertThat(winners).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void shouldCallAPodOverloadedByQueueOrKvUsage() {
        assertThat(scorer.overloaded(pod("a", 60, 4, 0.1))).isTrue();
        assertThat(scorer.overloaded(pod("a", 1, 0, 0.99))).isTrue();
        assertThat(scorer.overloaded(pod("a", 1, 0, null))).isFalse();
    }

    @Test
    void shouldClampReportedMatchesToThePrompt() {
        Map<String, int[]> m = new HashMap<>();
        m.put("a", new int[] {500, 500});
        assertThat(scorer.rank(List.of(pod("a", 0, 0, null)), 10, matches(m), 1).get(0).matched()).isEqualTo(10);
    }

    @Test
    void shouldRejectWeightsOutOfRange() {
        assertThatThrownBy(() -> new CostWeights(1.5, 1, 1, 1, 1, 0.5)).hasMessageContaining("cpuBlockCost");
        assertThatThrownBy(() -> new CostWeights(0.5, -1, 1, 1, 1, 0.5)).hasMessageContaining("runningWeight");
        assertThatThrownBy(() -> new CostWeights(0.5, 1, 1, 1, 0, 0.5)).hasMessageContaining("maxInFlight");
        assertThatThrownBy(() -> new CostWeights(0.25, 1.5, 1, 1, 1, 1, 0.5)).hasMessageContaining("storageBlockCost");
        assertThatThrownBy(() -> new CostWeights(0.25, -0.1, 1, 1, 1, 1, 0.5)).hasMessageContaining("storageBlockCost");
        assertThat(new CostWeights(0.25, 0, 4, 16, 8, 64, 0.98)).as("0 takes the default").isEqualTo(
                CostWeights.defaults());
        assertThat(CostWeights.defaults().storageBlockCost()).isGreaterThan(CostWeights.defaults().cpuBlockCost());
    }
}
