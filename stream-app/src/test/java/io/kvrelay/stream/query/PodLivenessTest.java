package io.kvrelay.stream.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.stream.config.StreamAppConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The liveness rule on fixed times: TTL 15 s, stale for at most 180 s, suspect after 10 s, unroutable after 60 s. */
class PodLivenessTest {
    private static final long NOW = 1_000_000_000L;
    private final PodLiveness rule = StreamAppConfig.local("unused:9092", null).liveness();

    private static PodLiveness.Evidence connected(long ageMs, String source) {
        return new PodLiveness.Evidence(true, (NOW - ageMs) * 1_000, source, false, null);
    }

    private static SourceHeartbeats lastHeard(String source, long ageMs) {
        return new SourceHeartbeats(Map.of(source, (NOW - ageMs) * 1_000));
    }

    @Test
    void shouldCallAFreshConnectedPodAliveAndRoutable() {
        PodLiveness.Verdict v = rule.judge(connected(14_000, "b1"), lastHeard("b1", 14_000), NOW);
        assertThat(v).isEqualTo(new PodLiveness.Verdict(true, true, false, false, 0));
    }

    @Test
    void shouldCallAPodStaleWhenItsWholeBridgeIsSilent() {
        PodLiveness.Verdict v = rule.judge(connected(40_000, "b1"), lastHeard("b1", 16_000), NOW);
        assertThat(v.stale()).isTrue();
        assertThat(v.alive()).isTrue();
        assertThat(v.routable()).isTrue();
    }

    @Test
    void shouldCallAPodDeadWhenItsBridgeStillReportsOthers() {
        PodLiveness.Verdict v = rule.judge(connected(16_000, "b1"), lastHeard("b1", 1_000), NOW);
        assertThat(v).isEqualTo(new PodLiveness.Verdict(false, false, false, false, 0));
        // Another bridge's reports say nothing about b1.
        assertThat(rule.judge(connected(16_000, "b1"), lastHeard("b2", 1_000), NOW).stale()).isTrue();
    }

    @Test
    void shouldNotKeepADisconnectedOrDrainedPodRoutableWhileStale() {
        SourceHeartbeats silent = lastHeard("b1", 30_000);
        long hb = (NOW - 30_000) * 1_000;
        assertThat(rule.judge(new PodLiveness.Evidence(false, hb, "b1", false, null), silent, NOW).routable())
                .isFalse();
        PodLiveness.Verdict drained = rule.judge(new PodLiveness.Evidence(true, hb, "b1", true, null), silent, NOW);
        assertThat(drained.stale()).isTrue();
        assertThat(drained.routable()).isFalse();
    }

    @Test
    void shouldStopRoutingOnAStaleStateAfterStaleMax() {
        assertThat(rule.judge(connected(180_000, "b1"), lastHeard("b1", 180_000), NOW).routable()).isTrue();
        PodLiveness.Verdict v = rule.judge(connected(180_001, "b1"), lastHeard("b1", 180_001), NOW);
        assertThat(v.routable()).isFalse();
        assertThat(v.stale()).isFalse();
    }

    @Test
    void shouldSuspectThenStopRoutingAPodWhoseLoadStaysUnknown() {
        long hb = (NOW - 1_000) * 1_000;
        SourceHeartbeats heard = lastHeard("b1", 1_000);
        PodLiveness.Verdict early = rule.judge(new PodLiveness.Evidence(true, hb, "b1", false, hb - 10_000_000), heard,
                NOW);
        assertThat(early.suspect()).isFalse();
        PodLiveness.Verdict suspect = rule.judge(new PodLiveness.Evidence(true, hb, "b1", false, hb - 10_001_000),
                heard, NOW);
        assertThat(suspect.suspect()).isTrue();
        assertThat(suspect.routable()).isTrue();
        PodLiveness.Verdict silent = rule.judge(new PodLiveness.Evidence(true, hb, "b1", false, hb - 60_001_000),
                heard, NOW);
        assertThat(silent).isEqualTo(new PodLiveness.Verdict(true, false, false, true, 60_001));
    }

    @Test
    void shouldMeasureUnknownLoadUpToTheLastReportSoAStalePodDoesNotTurnSilent() {
        long hb = (NOW - 100_000) * 1_000;
        PodLiveness.Verdict v = rule.judge(new PodLiveness.Evidence(true, hb, "b1", false, hb - 5_000_000),
                lastHeard("b1", 100_000), NOW);
        assertThat(v.stale()).isTrue();
        assertThat(v.suspect()).isFalse();
        assertThat(v.routable()).isTrue();
    }

    @Test
    void shouldRefuseSettingsThatContradictEachOther() {
        assertThatThrownBy(() -> new PodLiveness(15_000, 15_000, 10_000, 60_000)).hasMessageContaining("staleMaxMs");
        assertThatThrownBy(() -> new PodLiveness(15_000, 60_000, 10_000, 5_000))
                .hasMessageContaining("unroutableAfterMs");
        assertThat(StreamAppConfig.local("x:9092", null).withHeartbeatTtlMs(600_000).liveness().staleMaxMs())
                .as("a TTL above the default staleMaxMs moves it along").isEqualTo(1_200_000);
    }

    @Test
    void shouldMergeWhatEveryInstanceHeard() {
        SourceHeartbeats a = new SourceHeartbeats(Map.of("b1", 5L, "b2", 9L));
        SourceHeartbeats b = new SourceHeartbeats(Map.of("b1", 7L));
        assertThat(a.merge(b).freshestMicros()).isEqualTo(Map.of("b1", 7L, "b2", 9L));
    }
}
