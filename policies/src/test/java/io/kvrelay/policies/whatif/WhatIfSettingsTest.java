package io.kvrelay.policies.whatif;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.router.scoring.CostModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WhatIfSettingsTest {
    @Test
    void shouldDefaultToBenchRoutingsModelAndThreeKvrelayWeightings() {
        WhatIfSettings s = WhatIfSettings.defaults();
        assertThat(s.prefillMsPerBlock()).isEqualTo(2);
        assertThat(s.overheadMs()).isEqualTo(10);
        assertThat(s.decodeMs()).isEqualTo(500);
        assertThat(s.defaultCapacityBlocks()).isEqualTo(1024);
        assertThat(s.kvrelayVariants()).containsOnlyKeys("kvrelay", "kvrelay-sticky", "kvrelay-busy-decode");
        assertThat(s.kvrelayVariants().get("kvrelay")).isEqualTo(CostModel.defaults());
        assertThat(s.kvrelayVariants().get("kvrelay-sticky").stickySlackMs()).isGreaterThan(1e9);
        assertThat(s.kvrelayVariants().get("kvrelay-busy-decode").runningMs()).isEqualTo(20);
    }

    @Test
    void shouldAddWeightingsAfterTheDefaultsAndRefuseTakenNames() {
        CostModel busy = CostModel.defaults().with("runningMs", "32");
        WhatIfSettings s = WhatIfSettings.defaults().withExtraWeights(Map.of("busy", busy));
        assertThat(s.kvrelayVariants().keySet()).containsExactly("kvrelay", "kvrelay-sticky",
                "kvrelay-busy-decode", "busy");
        assertThatThrownBy(() -> s.withExtraWeights(Map.of("kvrelay", busy)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already");
        assertThatThrownBy(() -> s.withExtraWeights(Map.of("oracle-hit", busy)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseline");
    }

    @Test
    void shouldSizeKnownPodsAndGiveTheRestTheDefault() {
        WhatIfSettings s = WhatIfSettings.defaults().withCapacities(Map.of("ns/a/a-0", 300, "ns/a/a-1", 0));
        assertThat(s.capacityOf("ns/a/a-0")).isEqualTo(300);
        assertThat(s.capacityOf("ns/a/a-1")).as("never held a block in the log").isEqualTo(1024);
        assertThat(s.capacityOf("ns/a/a-2")).isEqualTo(1024);
    }

    @Test
    void shouldRefuseImpossibleSettings() {
        WhatIfSettings d = WhatIfSettings.defaults();
        assertThatThrownBy(() -> d.withModel(-1, 500)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withModel(2, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WhatIfSettings(2, 10, 500, 0, Map.of(), Map.of(), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WhatIfSettings(2, 10, 500, 1, Map.of("p", -3), Map.of(), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
