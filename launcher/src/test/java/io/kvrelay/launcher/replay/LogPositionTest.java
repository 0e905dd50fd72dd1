package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogPositionTest {
    @Test
    void shouldReadInstantsOffsetsAndPartitionOffsets() {
        assertThat(LogPosition.parse("2026-11-22T10:00:00Z"))
                .isEqualTo(new LogPosition.At(Instant.parse("2026-11-22T10:00:00Z")));
        assertThat(LogPosition.parse(" 1200 ")).isEqualTo(new LogPosition.Offset(1200));
        assertThat(LogPosition.parse("0:1200,3:8")).isEqualTo(new LogPosition.Offsets(Map.of(0, 1200L, 3, 8L)));
        assertThat(LogPosition.parse("0:1200,3:8").toString()).isEqualTo("offsets 0:1200,3:8");
    }

    @Test
    void shouldRejectWhatIsNeitherWithAHelpfulMessage() {
        assertThatThrownBy(() -> LogPosition.parse("yesterday")).hasMessageContaining("ISO-8601")
                .hasMessageContaining("0:1200,1:800");
        assertThatThrownBy(() -> LogPosition.parse("0:1,0:2")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> LogPosition.parse("0:")).hasMessageContaining("partition:offset");
        assertThatThrownBy(() -> LogPosition.parse("")).hasMessageContaining("empty");
    }
}
