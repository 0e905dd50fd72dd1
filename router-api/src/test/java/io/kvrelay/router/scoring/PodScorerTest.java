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
    private final PodScorer scorer = new PodScorer(CostModel.defaults());

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
        // 20 uncached blocks x 2 ms + one running request x 1 ms (KV usage costs nothing by default)
        assertThat(r.get(0).cost()).isEqualTo(20 * 2 + 1.0);
        assertThat(r.get(0).prefillMs()).isEqualTo(40.0);
    }

    @Test
    void shouldTradeCacheHitsAgainstLoad() {
        // b holds 20 more blocks (40 ms) but has 2 requests waiting (2 x 200 ms by default): a wins.
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
    void shouldKeepAPodsStaleAndSuspectFlagsWhenItFillsItsUnknownLoad() {
        PodInfo silent = new PodInfo("ns", "svc", "silent", null, null, true, true, false, null, null, null, 16, 0,
                true, true);
        List<PodScorer.Score> r = scorer.rank(List.of(silent, pod("busy", 3, 1, 0.6)), 100, matches(Map.of()), 7);
        PodInfo scored = r.stream().filter(s -> s.pod().pod().equals("silent")).findFirst().orElseThrow().pod();
        assertThat(scored.running()).isEqualTo(3);
        assertThat(scored.stale()).isTrue();
        assertThat(scored.suspect()).as("the answer's candidates show it").isTrue();
    }

    @Test
    void shouldChooseTheBestPodThatIsNotOverloadedAndTheCheapestWhenAllAre() {
        // "hot" holds the whole prompt but has 64 requests in flight: overloaded, though cheapest by far.
        // (its 24 waiting requests: 4.8 s; computing the 10,000 blocks on cold: 20 s)
        List<PodScorer.Score> r = scorer.rank(List.of(pod("hot", 40, 24, 0.5), pod("cold", 0, 0, 0.1)), 10_000,
                matches(Map.of("hot", new int[] {10_000, 10_000})), 7);
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
        assertThat(r.get(1).cost()).isEqualTo((8 + 0.25 * 32) * 2);
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
        assertThat(cost.get("gpu")).isEqualTo(19.0 * 2);
        assertThat(cost.get("cpu")).isEqualTo(0.25 * 40 * 2);
        assertThat(cost.get("storage")).isEqualTo(0.5 * 40 * 2);
        assertThat(cost.get("mixed")).isEqualTo((0.25 * 10 + 0.5 * 10) * 2);
        assertThat(r).extracting(s -> s.pod().pod()).containsExactly("mixed", "cpu", "gpu", "storage");
        assertThat(r.get(0).memoryMatched()).isEqualTo(30);
        // A storage hit, however cheap it is made, is still configurable apart from CPU.
        assertThat(new PodScorer(CostModel.defaults().with("storageBlockCost", "0.9"))
                .score(pod("s", 0, 0, null), 40, 40, 0, 0, InFlight.NONE).cost()).isEqualTo(0.9 * 40 * 2);
    }

    @Test
    void shouldTreatAnUnknownMemoryPrefixAsAllInMemory() {
        // A Matches without memoryMatched (older stream-app, simulators): every non-GPU hit is priced as CPU.
        List<PodScorer.Score> r = scorer.rank(List.of(pod("cpu", 0, 0, null)), 40,
                matches(Map.of("cpu", new int[] {32, 0})), 7);
        assertThat(r.get(0).memoryMatched()).isEqualTo(32);
        assertThat(r.get(0).cost()).isEqualTo((8 + 0.25 * 32) * 2);
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
        assertThat(overloaded(pod("a", 60, 4, 0.1), InFlight.NONE)).isTrue();
        assertThat(overloaded(pod("a", 1, 0, 0.99), InFlight.NONE)).isTrue();
        assertThat(overloaded(pod("a", 1, 0, null), InFlight.NONE)).isFalse();
        assertThat(overloaded(pod("a", 60, 0, null), inFlight(0, 4, Double.NaN)))
                .as("requests just sent count before the pod reports them").isTrue();
    }

    /** Issue 15: requests the front door is proxying to a pod are known exactly, ahead of the pod's reports. */
    @Test
    void shouldCountOpenFrontDoorRequestsWhereThePodsReportsLag() {
        InFlight open = inFlight(0, 0, Double.NaN, 64);
        PodInfo reportsIdle = pod("a", 0, 0, null);
        assertThat(scorer.score(reportsIdle, 10, 0, 0, 0, open).cost())
                .isGreaterThan(scorer.score(reportsIdle, 10, 0, 0, 0, InFlight.NONE).cost());
        assertThat(overloaded(reportsIdle, open)).as("64 open requests reach maxInFlight").isTrue();
        PodInfo reportsMore = pod("a", 80, 0, null);
        assertThat(scorer.score(reportsMore, 10, 0, 0, 0, open).cost()).as("the larger of the two counts")
                .isEqualTo(scorer.score(reportsMore, 10, 0, 0, 0, InFlight.NONE).cost());
    }

    private boolean overloaded(PodInfo p, InFlight f) {
        return scorer.score(p, 10, 0, 0, 0, f).overloaded();
    }

    private static InFlight inFlight(double queuedMs, int unreported, double meanPrefillMs) {
        return inFlight(queuedMs, unreported, meanPrefillMs, 0);
    }

    private static InFlight inFlight(double queuedMs, int unreported, double meanPrefillMs, int open) {
        return new InFlight() {
            @Override
            public int open(String pod) {
                return open;
            }

            @Override
            public double queuedMs(String pod) {
                return queuedMs;
            }

            @Override
            public int unreported(String pod) {
                return unreported;
            }

            @Override
            public double meanPrefillMs(String pod) {
                return meanPrefillMs;
            }
        };
    }

    /** Issue 12: the cost is a predicted TTFT: the queue ahead, then this request's own prefill, in ms. */
    @Test
    void shouldPredictTtftFromTheQueueAheadAndTheUncachedWork() {
        PodInfo idle = pod("a", 0, 0, null);
        // 300 ms of prefill queued by the router's count, 50 uncached blocks x 2 ms, 2 unreported running x 1 ms
        PodScorer.Score s = scorer.score(idle, 100, 50, 50, 50, inFlight(300, 2, 150));
        assertThat(s.queuedMs()).isEqualTo(300.0);
        assertThat(s.prefillMs()).isEqualTo(100.0);
        assertThat(s.cost()).isEqualTo(300 + 100 + 2.0);
        // The pod reports 3 waiting: 3 x the mean prefill sent to it (150 ms) = 450 ms > the router's 300 ms.
        assertThat(scorer.score(pod("a", 0, 3, null), 100, 50, 50, 50, inFlight(300, 0, 150)).queuedMs())
                .isEqualTo(450.0);
        // Without requests sent to it, a waiting request is assumed to take waitingMs (200 by default).
        assertThat(scorer.score(pod("a", 0, 3, null), 100, 50, 50, 50, InFlight.NONE).queuedMs()).isEqualTo(600.0);
    }

    /** A long prefix on a pod with a long queue loses to no prefix on an idle pod, and wins against a short queue. */
    @Test
    void shouldTradeAPrefixAgainstTheQueueInMilliseconds() {
        PodScorer.Matches m = matches(Map.of("cached", new int[] {700, 700}));
        List<PodInfo> pods = List.of(pod("cached", 0, 0, null), pod("idle", 0, 0, null));
        InFlight longQueue = new InFlight() {
            @Override
            public double queuedMs(String pod) {
                return pod.equals("cached") ? 3_000 : 0;
            }

            @Override
            public int unreported(String pod) {
                return 0;
            }

            @Override
            public double meanPrefillMs(String pod) {
                return Double.NaN;
            }
        };
        // 800-block prompt: idle computes 800 blocks (1,600 ms); cached waits 3,000 ms then computes 100 (200 ms).
        assertThat(scorer.rank(pods, 800, m, longQueue, 7).get(0).pod().pod()).isEqualTo("idle");
        assertThat(scorer.rank(pods, 800, m, InFlight.NONE, 7).get(0).pod().pod()).isEqualTo("cached");
    }

    @Test
    void shouldKeepALinkWhileItsPodIsNotMuchSlowerThanTheBest() {
        PodScorer.Score best = scorer.score(pod("b", 0, 0, null), 100, 0, 0, 0, InFlight.NONE);
        PodScorer.Score near = scorer.score(pod("a", 0, 0, null), 100, 0, 0, 0, inFlight(400, 0, Double.NaN));
        PodScorer.Score far = scorer.score(pod("a", 0, 0, null), 100, 0, 0, 0, inFlight(600, 0, Double.NaN));
        assertThat(scorer.keepsLink(near, best)).as("400 ms behind, slack 500").isTrue();
        assertThat(scorer.keepsLink(far, best)).as("600 ms behind").isFalse();
        assertThat(scorer.keepsLink(null, best)).as("pod gone").isFalse();
        PodScorer.Score hot = scorer.score(pod("a", 70, 0, null), 100, 0, 0, 0, InFlight.NONE);
        assertThat(scorer.keepsLink(hot, hot)).as("overloaded").isFalse();
    }

    @Test
    void shouldClampReportedMatchesToThePrompt() {
        Map<String, int[]> m = new HashMap<>();
        m.put("a", new int[] {500, 500});
        assertThat(scorer.rank(List.of(pod("a", 0, 0, null)), 10, matches(m), 1).get(0).matched()).isEqualTo(10);
    }

    @Test
    void shouldRejectConstantsOutOfRange() {
        CostModel d = CostModel.defaults();
        assertThatThrownBy(() -> d.with("cpuBlockCost", "1.5")).hasMessageContaining("cpuBlockCost");
        assertThatThrownBy(() -> d.with("runningMs", "-1")).hasMessageContaining("runningMs");
        assertThatThrownBy(() -> d.with("maxInFlight", "0")).hasMessageContaining("maxInFlight");
        assertThatThrownBy(() -> d.with("maxInFlight", "1.5")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> d.with("storageBlockCost", "1.5")).hasMessageContaining("storageBlockCost");
        assertThatThrownBy(() -> d.with("storageBlockCost", "0")).hasMessageContaining("storageBlockCost");
        assertThatThrownBy(() -> d.with("prefillMsPerBlock", "0")).hasMessageContaining("prefillMsPerBlock");
        assertThatThrownBy(() -> d.with("runningWeight", "4")).hasMessageContaining("unknown cost constant");
        assertThatThrownBy(() -> d.with("runningMs", "x")).hasMessageContaining("not a number");
        assertThat(d.with("cpuBlockCost", "0").cpuBlockCost()).as("0 said on purpose is 0").isZero();
        assertThat(d.storageBlockCost()).isGreaterThan(d.cpuBlockCost());
    }
}
