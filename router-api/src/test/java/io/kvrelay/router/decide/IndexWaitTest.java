package io.kvrelay.router.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class IndexWaitTest {
    private final IndexWait wait = new IndexWait(Duration.ofMillis(50), 0.1);

    @Test
    void shouldWaitTheFloorForShortPromptsAndAShareOfThePrefillForLongOnes() {
        assertThat(wait.deadline(92, 2)).as("a chat turn: 18 ms of its prefill is under the floor")
                .isEqualTo(Duration.ofMillis(50));
        assertThat(wait.deadline(750, 2)).as("a 12,000-token prompt: a tenth of its 1.5 s")
                .isEqualTo(Duration.ofMillis(150));
        assertThat(new IndexWait(Duration.ofMillis(50), 0).deadline(10_000, 2)).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void shouldRefuseNonsense() {
        assertThatThrownBy(() -> new IndexWait(Duration.ZERO, 0.1)).hasMessageContaining("deadline");
        assertThatThrownBy(() -> new IndexWait(Duration.ofMillis(50), 1.5)).hasMessageContaining("indexWaitShare");
    }
}
