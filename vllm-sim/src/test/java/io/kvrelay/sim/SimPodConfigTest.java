package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.sim.metrics.KvUsageMetric;
import io.kvrelay.sim.serving.TimeModel;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.zmq.Fidelity;
import io.kvrelay.sim.zmq.ReplayServing;
import io.kvrelay.sim.zmq.SeqFrame;
import java.time.Duration;
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
        assertThat(c.servingPort()).isNull();
        assertThat(c.serveMetrics()).isTrue();
        assertThat(c.kvUsageMetric()).isEqualTo(KvUsageMetric.KV_CACHE_USAGE_PERC);
        assertThat(SimPodConfig.builder("pod-0").metricsPort(0).build().servingPort()).isZero();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.fidelity()).as("kind by default: existing tests rely on it").isEqualTo(Fidelity.roomy());
        assertThat(c.restartPlan()).isEqualTo(RestartPlan.keepSockets());
    }

    @Test
    void shouldSetFidelityAndRestartFromAPresetAndLetSingleKnobsOverrideIt() {
        SimPodConfig c = SimPodConfig.builder("pod-0").preset(FidelityPreset.VLLM)
                .fidelity(FidelityPreset.VLLM.fidelity().withReplayPace(Duration.ofNanos(400_000))).build();
        assertThat(c.fidelity().replayServing()).isEqualTo(ReplayServing.PUBLISHING_THREAD);
        assertThat(c.fidelity().replaySndHwm()).isEqualTo(1000);
        assertThat(c.fidelity().replayPace()).isEqualTo(Duration.ofNanos(400_000));
        assertThat(c.restartPlan()).isEqualTo(RestartPlan.processExit(Duration.ofSeconds(1), 100));
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(FidelityPreset.VLLM_SNAPSHOT.fidelity().seqFrame()).isEqualTo(SeqFrame.SEQ8_PUBLISHER_ID);
        assertThatThrownBy(() -> new RestartPlan(RestartPlan.Style.KEEP_SOCKETS, Duration.ofSeconds(1), 0))
                .hasMessageContaining("no downtime");
        assertThatThrownBy(() -> RestartPlan.processExit(Duration.ZERO, -1)).hasMessageContaining("burst");
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
        assertThatThrownBy(() -> SimPodConfig.builder("p").servingPort(70_000).build())
                .hasMessageContaining("servingPort");
        assertThatThrownBy(() -> SimPodConfig.builder("p").host(" ").build()).hasMessageContaining("host");
    }

    @Test
    void carriesTheServingTimeModelFromTheBuilderAndTheFlags() {
        assertThat(SimPodConfig.builder("p").build().timeModel()).isEqualTo(TimeModel.defaults());
        assertThatThrownBy(() -> SimPodConfig.builder("p").maxRunning(0).build()).hasMessageContaining("maxRunning");
        assertThatThrownBy(() -> SimPodConfig.builder("p").decodeMsPerToken(-1).build())
                .hasMessageContaining("decodeMsPerToken");
        SimMain main = new SimMain();
        new picocli.CommandLine(main).parseArgs("--pods", "2", "--prefill-ms-per-block", "3.5",
                "--decode-ms-per-token", "1", "--max-running", "8");
        assertThat(main.configs()).extracting(SimPodConfig::timeModel).containsOnly(new TimeModel(3.5, 1, 8));
        assertThat(SimPodConfig.builder("p").maxRunning(8).build().toBuilder().build().timeModel().maxRunning())
                .isEqualTo(8);
    }

    @Test
    void mainLaysPodsOutLikeVllmPorts() {
        SimMain main = new SimMain();
        new picocli.CommandLine(main).parseArgs("--pods", "3", "--dp-ranks", "2", "--base-port", "5557");
        var configs = main.configs();
        assertThat(configs).extracting(SimPodConfig::pubBasePort).containsExactly(5557, 5561, 5565);
        assertThat(configs).extracting(SimPodConfig::replayBasePort).containsExactly(5559, 5563, 5567);
        assertThat(configs).extracting(SimPodConfig::publishLogLimit).containsOnly(0);
        assertThat(configs).extracting(SimPodConfig::servingPort).containsOnly((Integer) null);
    }

    @Test
    void mainShouldTurnPresetsAndOverridesIntoEveryPodsFidelityAndRestart() {
        SimMain main = new SimMain();
        new picocli.CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--pods", "2",
                "--fidelity", "vllm_snapshot", "--replay-pace-us", "400", "--heartbeat-ms", "250",
                "--restart-downtime-ms", "3000", "--restart-burst", "500");
        assertThat(main.configs()).extracting(SimPodConfig::fidelity).containsOnly(Fidelity.vllmSnapshot()
                .withReplayPace(Duration.ofNanos(400_000)).withHeartbeat(Duration.ofMillis(250)));
        assertThat(main.configs()).extracting(SimPodConfig::restartPlan)
                .containsOnly(RestartPlan.processExit(Duration.ofSeconds(3), 500));

        SimMain keep = new SimMain();
        new picocli.CommandLine(keep).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--fidelity", "vllm",
                "--restart-style", "keep_sockets", "--replay-serving", "own_thread", "--replay-hwm", "-1",
                "--seq-frame", "seq8_publisher_id");
        assertThat(keep.restartPlan()).isEqualTo(new RestartPlan(RestartPlan.Style.KEEP_SOCKETS, Duration.ZERO, 100));
        assertThat(keep.fidelity()).isEqualTo(Fidelity.roomy().withSeqFrame(SeqFrame.SEQ8_PUBLISHER_ID));
    }

    @Test
    void mainHelpShouldListTheFidelityOptions() {
        String usage = new picocli.CommandLine(new SimMain()).getUsageMessage();
        assertThat(usage).contains("--fidelity", "VLLM_SNAPSHOT", "--replay-serving", "--replay-hwm",
                "--replay-pace-us", "--seq-frame", "--heartbeat-ms", "--restart-every", "--restart-style",
                "--restart-downtime-ms", "--restart-burst");
    }

    @Test
    void mainGivesEachPodItsServingPortAndTheChosenKvUsageName() {
        SimMain main = new SimMain();
        new picocli.CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--pods", "2",
                "--serving-base-port", "8000", "--kv-usage-metric", "gpu_cache_usage_perc", "--no-metrics");
        var configs = main.configs();
        assertThat(configs).extracting(SimPodConfig::servingPort).containsExactly(8000, 8001);
        assertThat(configs).extracting(SimPodConfig::kvUsageMetric).containsOnly(KvUsageMetric.GPU_CACHE_USAGE_PERC);
        assertThat(configs).extracting(SimPodConfig::serveMetrics).containsOnly(false);
    }
}
