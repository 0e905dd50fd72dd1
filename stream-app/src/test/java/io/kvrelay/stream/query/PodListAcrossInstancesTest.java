package io.kvrelay.stream.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.MovableClock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Another instance's pod list reaches {@link ClusterQueries} as JSON: the bridges' reports (the evidence of the
 * stale flag) and each pod's evidence must survive the trip, or the merged answer would be judged on less.
 */
class PodListAcrossInstancesTest {
    private static PodView pod(long heartbeatMicros) {
        return new PodView("ns", "svc", "p0", null, null, "10.0.0.1:8000", null, 16, true, true, false, true,
                false, "", "", "CONNECTED", "b1", heartbeatMicros, 20_000L, 500_000L, 0, new PodView.Load(1, 0, 0.1),
                3, 7L, 900_000L, List.of(new PodView.Worker(0, true, 7L, 900_000L, 3)));
    }

    @Test
    void shouldCarryTheEvidenceAcrossInstances() throws Exception {
        PodView pod = pod(1_000_000L);
        LocalQueries.PodList list = new LocalQueries.PodList(List.of(pod), List.of(0, 1),
                new SourceHeartbeats(Map.of("b1", 1_000_000L)));
        ObjectMapper json = new ObjectMapper();

        LocalQueries.PodList back = json.readValue(json.writeValueAsBytes(list), LocalQueries.PodList.class);

        assertThat(back).isEqualTo(list);
        assertThat(back.pods().get(0).evidence())
                .isEqualTo(new PodLiveness.Evidence(true, 1_000_000L, "b1", false, 500_000L));
    }

    @Test
    void shouldCallDeadAPodStaleOnItsInstanceWhenAnotherInstanceStillHearsItsBridge() {
        // 20 s after p0's last status; on p0's instance bridge b1 looks silent, another instance heard it 1 s ago.
        MovableClock clock = new MovableClock(21_000);
        LocalQueries local = new LocalQueries(null, null, clock, StreamAppConfig.local("x:9092", null).liveness());
        PodView stale = pod(1_000_000L);

        PodView merged = local.judgeAgain(List.of(stale), new SourceHeartbeats(Map.of("b1", 1_000_000L))
                .merge(new SourceHeartbeats(Map.of("b1", 20_000_000L)))).get(0);

        assertThat(merged.stale()).isFalse();
        assertThat(merged.alive()).isFalse();
        assertThat(merged.routable()).isFalse();
        assertThat(local.judgeAgain(List.of(stale), new SourceHeartbeats(Map.of("b1", 1_000_000L))).get(0).stale())
                .as("nobody heard b1: stale").isTrue();
    }
}
