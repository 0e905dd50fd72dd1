package io.kvrelay.router.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.PodScorer;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed's GetServiceBestPod follows the router's own rule: an overloaded pod only when every pod is. */
class ServiceStateCacheBestPodTest {
    private static PodInfo pod(String name, int running, Double usage) {
        return new PodInfo("ns", "svc", name, null, null, true, true, false, running, 0, usage, 16, 0);
    }

    @Test
    void shouldNotAnswerAnOverloadedPodWhileAnotherCanTakeTheRequest() throws Exception {
        // "full" is at 99% KV usage (overloaded) but has fewer requests, so it is the cheapest by cost alone.
        List<PodInfo> pods = List.of(pod("full", 0, 0.99), pod("free", 2, 0.2));
        ServiceStateCache states = new ServiceStateCache((ns, s) -> pods, new PodScorer(CostModel.defaults()),
                ServiceStateCache.Config.defaults(), Clock.systemUTC());

        assertThat(states.bestPod("ns", "svc", 7, io.kvrelay.router.scoring.InFlight.NONE)).map(PodInfo::pod).contains("free");
    }
}
