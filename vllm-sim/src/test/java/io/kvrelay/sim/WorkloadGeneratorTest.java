package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadGeneratorTest {
    private final WorkloadGenerator.Settings settings =
            WorkloadGenerator.Settings.defaults().withLoras(List.of("a", "b"), 0.3);

    @Test
    void sameSeedSameRequests() {
        WorkloadGenerator x = new WorkloadGenerator(settings, 5);
        WorkloadGenerator y = new WorkloadGenerator(settings, 5);
        for (int i = 0; i < 200; i++) {
            WorkloadGenerator.Request a = x.next();
            WorkloadGenerator.Request b = y.next();
            assertThat(a.tokens()).isEqualTo(b.tokens());
            assertThat(a.lora()).isEqualTo(b.lora());
        }
    }

    @Test
    void followUpTurnsExtendThePreviousPromptAndKeepTheAdapter() {
        WorkloadGenerator gen = new WorkloadGenerator(settings, 9);
        Map<Long, WorkloadGenerator.Request> last = new HashMap<>();
        int followUps = 0;
        int sharedSystemPrompt = 0;
        int[] firstSystem = null;
        for (int i = 0; i < 1_000; i++) {
            WorkloadGenerator.Request r = gen.next();
            assertThat(r.tokens().length).isLessThanOrEqualTo(settings.maxPromptTokens());
            WorkloadGenerator.Request prev = last.put(r.conversation(), r);
            if (prev != null) {
                followUps++;
                assertThat(r.turn()).isEqualTo(prev.turn() + 1);
                assertThat(Arrays.copyOf(r.tokens(), prev.tokens().length)).isEqualTo(prev.tokens());
                assertThat(r.lora()).isEqualTo(prev.lora());
            } else if (r.tokens().length >= 512) {
                int[] head = Arrays.copyOf(r.tokens(), 512);
                if (firstSystem == null) {
                    firstSystem = head;
                } else if (Arrays.equals(firstSystem, head)) {
                    sharedSystemPrompt++;
                }
            }
        }
        assertThat(followUps).isGreaterThan(300);
        assertThat(sharedSystemPrompt).as("new conversations reuse system prompts").isGreaterThan(10);
        assertThat(last.values()).anyMatch(r -> r.lora() != null).anyMatch(r -> r.lora() == null);
    }
}
