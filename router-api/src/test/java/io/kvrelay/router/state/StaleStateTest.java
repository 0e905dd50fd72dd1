package io.kvrelay.router.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.decide.RouteDecider;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.router.decide.RouteResult;
import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.testkit.MovableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * One notion of stale in the router's answer: a pod stream-app flags stale (its bridge went silent), or any pod once
 * this router has not refreshed the service's state for three refresh intervals (stream-app unreachable). On a clock
 * the test moves.
 */
class StaleStateTest {
    private final MovableClock clock = new MovableClock(1_000_000);
    /** What stream-app answers; null = unreachable. */
    private final AtomicReference<List<PodInfo>> streamApp = new AtomicReference<>();
    private final PodScorer scorer = new PodScorer(CostModel.defaults());
    private final ServiceStateCache states = new ServiceStateCache((ns, s) -> {
        List<PodInfo> p = streamApp.get();
        if (p == null) {
            throw new PodSource.Unavailable("down");
        }
        return p;
    }, scorer, ServiceStateCache.Config.defaults(), clock);
    private volatile boolean indexUp = true;
    // Requests without a user never reach the link store: none is needed.
    private final RouteDecider decider = new RouteDecider(states, (ns, s, k, deadline) -> {
        if (!indexUp) {
            throw new io.kvrelay.router.decide.PrefixIndex.Unavailable("down");
        }
        return java.util.concurrent.CompletableFuture.completedFuture(io.kvrelay.router.decide.PrefixMatches.NONE);
    }, new LinkService(null, LinkConfig.of("127.0.0.1", 6379, Set.of("ns")), new SimpleMeterRegistry()), scorer,
            new InFlightLedger(2_000), new io.kvrelay.router.decide.IndexWait(java.time.Duration.ofMillis(50), 0.1), 16);

    private static PodInfo pod(String name, boolean stale) {
        return new PodInfo("ns", "svc", name, null, null, true, true, false, 0, 0, 0.1, 16, 0, stale, false);
    }

    private RouteResult route() throws Exception {
        return decider.route(new RouteRequest("ns", "svc", null, new int[32], BlockKeys.Extras.of(null, null,
                List.of())));
    }

    @Test
    void shouldSayStaleWhenStreamAppFlagsTheChosenPodStale() throws Exception {
        streamApp.set(List.of(pod("p0", true)));
        RouteResult r = route();
        assertThat(r.pod().pod()).isEqualTo("p0");
        assertThat(r.stale()).isTrue();
        assertThat(r.reason()).isEqualTo("best-cost-stale");
        assertThat(states.stalePods()).isEqualTo(1);
    }

    @Test
    void shouldFlagEveryPodStaleOnceTheCacheMissedThreeRefreshes() throws Exception {
        streamApp.set(List.of(pod("p0", false), pod("p1", false)));
        assertThat(route().stale()).isFalse();
        streamApp.set(null);
        clock.advance(1_400);
        states.refreshAll();
        assertThat(route().stale()).as("1.4 s old, under 3 x 500 ms").isFalse();
        clock.advance(200);
        states.refreshAll();
        indexUp = false;
        RouteResult r = route();
        assertThat(r.stale()).isTrue();
        assertThat(r.reason()).as("one order of suffixes").isEqualTo("best-cost-without-index-stale");
        assertThat(r.candidates()).allSatisfy(c -> assertThat(c.pod().stale()).isTrue());
        assertThat(states.routablePods("ns", "svc")).allSatisfy(p -> assertThat(p.stale()).isTrue());
        assertThat(states.stalePods()).isEqualTo(2);

        streamApp.set(List.of(pod("p0", false), pod("p1", false)));
        indexUp = true;
        states.refreshAll();
        assertThat(route().stale()).isFalse();
        assertThat(route().reason()).isEqualTo("best-cost");
        assertThat(states.stalePods()).isZero();
    }
}
