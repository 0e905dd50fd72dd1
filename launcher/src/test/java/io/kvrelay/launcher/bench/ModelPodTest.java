package io.kvrelay.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.policies.OraclePolicy;
import io.kvrelay.policies.ServiceModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-process pod of bench-routing: the simulator's cache model and the prefill queue it holds. */
class ModelPodTest {
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

    @Test
    void shouldTellTheWaitForThePrefillSlotFromWhatThePodHolds() {
        ModelPod pod = new ModelPod("a-0", 64, 1000);
        ServiceModel.PrefillQueues queues = new ServiceModel(2, 10, 5).queues(1);
        BenchRequest r = new BenchRequest(0, "a", null, new int[16 * 50], null, 0, 0, 1);
        pod.advanceTo(0);
        assertThat(pod.prefillQueueMs()).as("idle").isZero();
        pod.hold(r, queues.admit(0, 0, 50, 1)); // 100 ms of prefill from 0
        pod.advanceTo(30);
        assertThat(pod.prefillQueueMs()).isEqualTo(70);
        pod.hold(r, queues.admit(0, 30, 10, 1)); // queued behind it: 20 ms more, until 120
        assertThat(pod.prefillQueueMs()).isEqualTo(90);
        pod.advanceTo(200);
        assertThat(pod.prefillQueueMs()).as("drained").isZero();
    }
}
