package io.kvrelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestGaugesTest {
    @Test
    void beginsAndEndsFromManyThreadsAddUp() throws InterruptedException {
        RequestGauges g = new RequestGauges();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    g.add(1, 0, 5);
                    g.add(1, 1);
                    g.add(-1, 0, -2);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(g.snapshot()).containsExactly(40_000, 40_000, 120_000);
    }

    @Test
    void refusesToGoNegativeAndChangesNothingThen() {
        RequestGauges g = new RequestGauges();
        g.set(1, 0, 4);
        assertThatThrownBy(() -> g.add(-1, -1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> g.add(-1, 0, -5)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("held blocks 4 + -5");
        assertThat(g.snapshot()).containsExactly(1, 0, 4);
        assertThatThrownBy(() -> g.set(-1, 0)).hasMessageContaining("running must be >= 0");
        assertThatThrownBy(() -> g.set(0, 0, -1)).hasMessageContaining("heldBlocks must be >= 0");
        g.set(2, 3);
        assertThat(g.snapshot()).as("set without blocks keeps them").containsExactly(2, 3, 4);
    }
}
