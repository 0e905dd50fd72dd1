package io.kvrelay.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kvrelay.launcher.bench.trace.TraceRecord;
import io.kvrelay.policies.LeastLoadedPolicy;
import io.kvrelay.policies.OraclePolicy;
import io.kvrelay.policies.OracleTtftPolicy;
import io.kvrelay.policies.Percentile;
import io.kvrelay.policies.RandomPolicy;
import io.kvrelay.policies.RoundRobinPolicy;
import io.kvrelay.policies.RoutingPolicy;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.policies.StickyOnlyPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchMetricsTest {
    private static final FleetLayout TWO_PODS = new FleetLayout(List.of("a"), 2);

    @Test
    void shouldTakeNearestRankPercentiles() {
        double[] v = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10};
        assertThat(Percentile.of(v, 0.5)).isEqualTo(5);
        assertThat(Percentile.of(v, 0.99)).isEqualTo(10);
        assertThat(Percentile.of(v, 0.1)).isEqualTo(1);
        assertThat(Percentile.of(new double[] {42}, 0.99)).isEqualTo(42);
        assertThat(Percentile.of(new double[0], 0.5)).isNaN();
        assertThatThrownBy(() -> Percentile.of(v, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldWeightTheHitRateByPromptBlocks() {
        List<Served> served = List.of(new Served(0, 0, 0, 10, 10, 1, 2), new Served(1, 1, 1, 30, 0, 1, 2));
        PolicyResult r = PolicyResult.of("x", served, TWO_PODS, 100, null);
        assertThat(r.hitRate()).as("10 of 40 blocks, not the mean of 100% and 0%").isEqualTo(0.25);
        assertThat(r.promptBlocks()).isEqualTo(40);
        assertThat(r.ttftP50Ms()).isEqualTo(1);
    }

    @Test
    void shouldMeasureImbalanceAsMaxOverMeanOfInFlightPerSample() {
        // Pod 0 holds two requests over [0, 1000), pod 1 one: every sample sees 2 and 1, max/mean = 2 / 1.5.
        List<Served> served = List.of(new Served(0, 0, 0, 1, 0, 1, 1000), new Served(1, 0, 0, 1, 0, 1, 1000),
                new Served(2, 1, 0, 1, 0, 1, 1000), new Served(3, 1, 1000, 1, 0, 1, 1001));
        LoadImbalance.Result r = LoadImbalance.measure(served, new int[] {0, 0}, 100);
        assertThat(r.samples()).isEqualTo(10);
        assertThat(r.meanOfSamples()).isCloseTo(2 / 1.5, within(1e-9));
        assertThat(r.p99OfSamples()).isCloseTo(2 / 1.5, within(1e-9));
        assertThat(r.ofTimeAverages()).isCloseTo(2 / 1.5, within(1e-9));
    }

    @Test
    void shouldJudgeEachServiceOnItsOwnPodsAndSkipIdleInstants() {
        // Service 0 (pods 0, 1) is balanced; service 1 (pods 2, 3) idle: only service 0's ratios count.
        List<Served> served = List.of(new Served(0, 0, 0, 1, 0, 1, 500), new Served(1, 1, 0, 1, 0, 1, 500),
                new Served(2, 0, 1000, 1, 0, 1, 1001));
        LoadImbalance.Result r = LoadImbalance.measure(served, new int[] {0, 0, 1, 1}, 100);
        assertThat(r.meanOfSamples()).isEqualTo(1.0);
        assertThat(r.samples()).as("samples at 50..450 ms have load; 550..950 ms none").isEqualTo(5);
    }

    @Test
    void shouldQueuePrefillsPerPodInTheTtftModel() {
        ServiceModel model = new ServiceModel(2, 10, 5);
        ServiceModel.PrefillQueues q = model.queues(2);
        ServiceModel.Timing a = q.admit(0, 0, 100, 4);
        assertThat(a.ttftMs()).as("200 ms prefill + 10 ms overhead").isEqualTo(210);
        assertThat(a.finishMs()).as("then 4 tokens x 5 ms").isEqualTo(230);
        ServiceModel.Timing b = q.admit(0, 50, 10, 0);
        assertThat(b.ttftMs()).as("waits 150 ms for pod 0's prefill, then 20 + 10").isEqualTo(180);
        ServiceModel.Timing c = q.admit(1, 50, 0, 0);
        assertThat(c.ttftMs()).as("a full hit on an idle pod costs only the overhead").isEqualTo(10);
        ServiceModel.Timing d = q.admit(0, 1000, 0, 0);
        assertThat(d.ttftMs()).as("the queue drained long ago").isEqualTo(10);
    }

    @Test
    void shouldReplayTheSameStreamIdenticallyAndSpaceArrivalsByTheRate() {
        WorkloadSpec spec = new WorkloadSpec(List.of("a", "b"), 2, 4, 2, 64, 16, 32, 16, 0.7, 1024, 64, 10, 2, 3);
        List<BenchRequest> s1 = RequestStream.generate(spec);
        List<BenchRequest> s2 = RequestStream.generate(spec);
        assertThat(s1).hasSize(20);
        for (int i = 0; i < s1.size(); i++) {
            assertThat(s1.get(i).tokens()).isEqualTo(s2.get(i).tokens());
            assertThat(s1.get(i).userId()).isEqualTo(s2.get(i).userId());
            assertThat(s1.get(i).arrivalMs()).isEqualTo(i * 100.0);
            assertThat(s1.get(i).service()).isEqualTo(i % 2 == 0 ? "a" : "b");
        }
    }

    @Test
    void shouldRunEveryBaselineOnTheSameStreamWithOracleAtLeastRoundRobin() {
        WorkloadSpec spec = new WorkloadSpec(List.of("a"), 3, 8, 2, 128, 16, 64, 32, 0.8, 2048, 128, 20, 10, 5);
        List<BenchRequest> stream = RequestStream.generate(spec);
        FleetLayout layout = FleetLayout.of(spec);
        ServiceModel model = new ServiceModel(2, 10, 5);
        PolicyResult rr = PolicyResult.of("rr", InProcessRun.run(new RoundRobinPolicy(), stream, layout, 128, model),
                layout, 100, null);
        PolicyResult oracle = PolicyResult.of("o", InProcessRun.run(new OraclePolicy(), stream, layout, 128, model),
                layout, 100, null);
        assertThat(rr.promptBlocks()).as("same stream").isEqualTo(oracle.promptBlocks());
        assertThat(oracle.hitRate()).isGreaterThan(rr.hitRate());
        assertThat(oracle.ttftMeanMs()).isLessThan(rr.ttftMeanMs());
    }

    @Test
    void shouldReplayATraceInTimeOrderWithSessionsAsUsersAndScaledArrivals() {
        List<TraceRecord> records = List.of(
                new TraceRecord(200, 1024, 7, new int[] {1, 2}, "s"),
                new TraceRecord(100, 600, 3, new int[] {1}, null),
                new TraceRecord(300, 1500, 9, new int[] {1, 2, 3}, "s"));
        List<BenchRequest> s = RequestStream.fromTrace(records, List.of("a"), 0.5);
        assertThat(s).extracting(BenchRequest::arrivalMs).as("sorted by timestamp, scaled").containsExactly(50.0,
                100.0, 150.0);
        assertThat(s).extracting(BenchRequest::userId).containsExactly(null, "s", "s");
        assertThat(s).extracting(BenchRequest::turn).containsExactly(0, 0, 1);
        assertThat(s).extracting(BenchRequest::outputTokens).containsExactly(3, 7, 9);
        assertThat(s).extracting(BenchRequest::promptBlocks).containsExactly(600 / 16, 64, 1500 / 16);
        assertThat(s).extracting(BenchRequest::index).containsExactly(0, 1, 2);
    }

    @Test
    void shouldRunEveryBaselineOnATraceWithoutUsers() {
        List<TraceRecord> records = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            records.add(new TraceRecord(i * 50, 2048, 16, new int[] {i % 3, 100 + i,
                    200 + i, 300 + i}, null));
        }
        List<BenchRequest> stream = RequestStream.fromTrace(records, List.of("a"), 1);
        FleetLayout layout = new FleetLayout(List.of("a"), 3);
        ServiceModel model = new ServiceModel(2, 10, 5);
        for (RoutingPolicy p : List.of(new StickyOnlyPolicy(1), new RoundRobinPolicy(), new LeastLoadedPolicy(),
                new RandomPolicy(1), new OraclePolicy(), new OracleTtftPolicy(model))) {
            PolicyResult r = PolicyResult.of(p.name(), InProcessRun.run(p, stream, layout, 4096, model), layout, 100,
                    model, null);
            assertThat(r.requests()).as(p.name()).isEqualTo(60);
            assertThat(r.prefillBusy()).as(p.name()).isPositive();
        }
    }

    @Test
    void shouldMeasurePrefillBusyAsPrefillTimeOverPodsTimesTheArrivalSpan() {
        // 10 + 30 prompt blocks, 10 of them hit: 30 uncached x 2 ms = 60 ms over 2 pods x 100 ms of arrivals.
        List<Served> served = List.of(new Served(0, 0, 0, 10, 10, 1, 2), new Served(1, 1, 100, 30, 0, 1, 200));
        PolicyResult r = PolicyResult.of("x", served, TWO_PODS, 100, new ServiceModel(2, 10, 5), null);
        assertThat(r.prefillBusy()).isEqualTo(60.0 / 200);
        assertThat(PolicyResult.of("x", served, TWO_PODS, 100, null).prefillBusy()).as("no model").isNaN();
    }

    @Test
    void shouldMapPodNamesToFleetIndexes() {
        FleetLayout l = new FleetLayout(List.of("llama-8b", "qwen-7b"), 4);
        assertThat(l.indexOf("qwen-7b-2")).isEqualTo(6);
        assertThat(l.podName(6)).isEqualTo("qwen-7b-2");
        assertThat(l.hashSeed(6)).isEqualTo(1006);
        assertThatThrownBy(() -> l.indexOf("qwen-7b-4")).isInstanceOf(IllegalArgumentException.class);
    }
}
