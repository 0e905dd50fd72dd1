package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.sim.wire.PayloadLayout;
import org.junit.jupiter.api.Test;

class SimPodConfigTest {
    @Test
    void builderDefaultsFollowVllmAndLlmdConventions() {
        SimPodConfig c = SimPodConfig.builder("pod-0").build();
        assertThat(c.id()).isEqualTo("default/vllm/pod-0");
        assertThat(c.topic()).isEqualTo("kv@pod-0@sim-model");
        assertThat(c.sndHwm()).isEqualTo(100_000);
        assertThat(c.replayBufferSteps()).isEqualTo(10_000);
        assertThat(c.blockSize()).isEqualTo(16);
        assertThat(c.layout()).isEqualTo(PayloadLayout.MAP_EVENTS);
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void rejectsBadValuesWithClearMessages() {
        assertThatThrownBy(() -> SimPodConfig.builder("a/b").build()).hasMessageContaining("pod must be non-empty");
        assertThatThrownBy(() -> SimPodConfig.builder("p").dpRanks(0).build()).hasMessageContaining("dpRanks");
        assertThatThrownBy(() -> SimPodConfig.builder("p").pubBasePort(65535).dpRanks(2).build())
                .hasMessageContaining("exceeds 65535");
        assertThatThrownBy(() -> SimPodConfig.builder("p").pubBasePort(5557).replayBasePort(5558).dpRanks(2).build())
                .hasMessageContaining("overlap");
        assertThatThrownBy(() -> SimPodConfig.builder("p").capacityBlocks(0).build())
                .hasMessageContaining("capacityBlocks");
        assertThatThrownBy(() -> SimPodConfig.builder("p").metricsPort(70_000).build())
                .hasMessageContaining("metricsPort");
        assertThatThrownBy(() -> SimPodConfig.builder("p").host(" ").build()).hasMessageContaining("host");
    }

    @Test
    void mainLaysPodsOutLikeVllmPorts() {
        SimMain main = new SimMain();
        new picocli.CommandLine(main).parseArgs("--pods", "3", "--dp-ranks", "2", "--base-port", "5557");
        var configs = main.configs();
        assertThat(configs).extracting(SimPodConfig::pubBasePort).containsExactly(5557, 5561, 5565);
        assertThat(configs).extracting(SimPodConfig::replayBasePort).containsExactly(5559, 5563, 5567);
        assertThat(configs).extracting(SimPodConfig::publishLogLimit).containsOnly(0);
    }
}
