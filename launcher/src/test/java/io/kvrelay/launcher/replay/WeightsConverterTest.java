package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.router.scoring.CostModel;
import org.junit.jupiter.api.Test;

class WeightsConverterTest {
    @Test
    void shouldOverrideOnlyTheConstantsGiven() {
        WeightsConverter.Named n = WeightsConverter.parse("busy:runningMs=16, stickySlackMs=0");
        CostModel d = CostModel.defaults();
        assertThat(n.name()).isEqualTo("busy");
        assertThat(n.model()).isEqualTo(d.with("runningMs", "16").with("stickySlackMs", "0"));
    }

    @Test
    void shouldTakeTheStorageTiersCost() {
        CostModel m = WeightsConverter.parse("disk:storageBlockCost=0.8").model();

        assertThat(m.storageBlockCost()).isEqualTo(0.8);
        assertThat(m.cpuBlockCost()).isEqualTo(CostModel.defaults().cpuBlockCost());
    }

    @Test
    void shouldSayWhatIsWrong() {
        assertThatThrownBy(() -> WeightsConverter.parse("runningMs=16")).hasMessageContaining("NAME:");
        assertThatThrownBy(() -> WeightsConverter.parse("x:speed=1")).hasMessageContaining("unknown cost constant 'speed'");
        assertThatThrownBy(() -> WeightsConverter.parse("x:runningMs=fast")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> WeightsConverter.parse("x:runningMs=-1")).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> WeightsConverter.parse("x:runningMs")).hasMessageContaining("key=value");
    }
}
