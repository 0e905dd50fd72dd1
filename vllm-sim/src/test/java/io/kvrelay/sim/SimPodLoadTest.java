package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.sim.metrics.WorkerMetrics;
import org.junit.jupiter.api.Test;

/**
 * The KV usage a pod reports: the blocks its running requests hold over the capacity, as vLLM counts it. The pods here
 * are not started (no sockets), so their caches stay cold; SimPodIT shows a warm idle cache reporting 0 on /metrics.
 */
class SimPodLoadTest {
    private static SimPod pod(int capacityBlocks) {
        return new SimPod(SimPodConfig.builder("pod-l").capacityBlocks(capacityBlocks).dpRanks(2).build());
    }

    private static WorkerMetrics rank(SimPod pod, int rank) {
        return pod.workerMetrics().get(rank);
    }

    @Test
    void shouldCountTheBlocksOfRunningRequestsUntilTheyEnd() {
        SimPod pod = pod(100);
        pod.beginRequest(1, 30);
        pod.beginRequest(1, 20);
        assertThat(rank(pod, 1).running()).isEqualTo(2);
        assertThat(rank(pod, 1).heldBlocks()).isEqualTo(50);
        assertThat(rank(pod, 1).usage()).isEqualTo(0.5);
        assertThat(rank(pod, 0).usage()).isZero();

        pod.endRequest(1, 30);
        assertThat(rank(pod, 1).usage()).isEqualTo(0.2);
        pod.endRequest(1, 20);
        assertThat(rank(pod, 1).running()).isZero();
        assertThat(rank(pod, 1).usage()).isZero();
    }

    @Test
    void shouldHoldNoMoreThanTheCapacityPerRequestAndReportAtMostOne() {
        SimPod pod = pod(8);
        pod.beginRequest(0, 20);
        assertThat(rank(pod, 0).heldBlocks()).isEqualTo(8);
        assertThat(rank(pod, 0).usage()).isEqualTo(1.0);
        pod.beginRequest(0, 4);
        assertThat(rank(pod, 0).heldBlocks()).isEqualTo(12);
        assertThat(rank(pod, 0).usage()).isEqualTo(1.0);
        pod.endRequest(0, 20);
        assertThat(rank(pod, 0).usage()).isEqualTo(0.5);
    }

    @Test
    void shouldRefuseToReleaseBlocksNotHeldAndLeaveThemToSetLoadWithoutBlocks() {
        SimPod pod = pod(100);
        pod.beginRequest(0, 10);
        pod.setLoad(0, 3, 1);
        assertThat(rank(pod, 0)).extracting(WorkerMetrics::running, WorkerMetrics::waiting, WorkerMetrics::usage)
                .containsExactly(3, 1, 0.1);

        assertThatThrownBy(() -> pod.endRequest(0, 11)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> pod.beginRequest(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(rank(pod, 0).running()).isEqualTo(3);
        assertThat(rank(pod, 0).heldBlocks()).isEqualTo(10);

        pod.setLoad(0, 2, 0, 40);
        assertThat(rank(pod, 0).usage()).isEqualTo(0.4);
    }
}
