package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.router.scoring.CostWeights;
import org.junit.jupiter.api.Test;

class WeightsConverterTest {
    @Test
    void shouldOverrideOnlyTheWeightsGiven() {
        WeightsConverter.Named n = WeightsConverter.parse("busy:runningWeight=16, waitingWeight=64");
        CostWeights d = CostWeights.defaults();
        assertThat(n.name()).isEqualTo("busy");
        assertThat(n.weights()).isEqualTo(new CostWeights(d.cpuBlockCost(), 16, 64, d.kvUsageWeight(),
                d.maxInFlight(), d.maxKvUsage()));
    }

    @Test
    void shouldTakeTheStorageTiersCost() {
        CostWeights w = WeightsConverter.parse("disk:storageBlockCost=0.8").weights();

        assertThat(w.storageBlockCost()).isEqualTo(0.8);
        assertThat(w.cpuBlockCost()).isEqualTo(CostWeights.defaults().cpuBlockCost());
    }

    @Test
    void shouldSayWhatIsWrong() {
        assertThatThrownBy(() -> WeightsConverter.parse("runningWeight=16")).hasMessageContaining("NAME:");
        assertThatThrownBy(() -> WeightsConverter.parse("x:speed=1")).hasMessageContaining("unknown weight 'speed'");
        assertThatThrownBy(() -> WeightsConverter.parse("x:runningWeight=fast")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> WeightsConverter.parse("x:runningWeight=-1")).hasMessageContaining(">= 0");
    }
}
