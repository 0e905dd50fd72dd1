package io.kvrelay.ingest.handoff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class BoundedHandoffTest {

    @Test
    void shouldBlockProducersWhenFullAndReleaseThemWhenDrained() throws Exception {
        BoundedHandoff<Integer> h = new BoundedHandoff<>(2);
        assertThat(h.put(1, () -> true)).isTrue();
        assertThat(h.put(2, () -> true)).isTrue();
        CountDownLatch handed = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try {
                h.put(3, () -> true);
                handed.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        producer.start();

        assertThat(handed.await(300, TimeUnit.MILLISECONDS)).as("blocked while full").isFalse();
        assertThat(h.depth()).isEqualTo(2);
        List<Integer> out = new ArrayList<>();
        h.drainTo(out, 10, 100);
        assertThat(handed.await(2, TimeUnit.SECONDS)).as("released after drain").isTrue();
        h.drainTo(out, 10, 100);
        assertThat(out).containsExactly(1, 2, 3);
        producer.join();
    }

    @Test
    void shouldGiveUpWaitingWhenToldToStop() throws Exception {
        BoundedHandoff<Integer> h = new BoundedHandoff<>(1);
        h.put(1, () -> true);
        AtomicBoolean keep = new AtomicBoolean(true);
        Thread stopper = new Thread(() -> keep.set(false));
        stopper.start();

        assertThat(h.put(2, keep::get)).isFalse();
        assertThat(h.offer(3)).isFalse();
    }

    @Test
    void shouldCarryTheConsumersFailureToProducers() {
        BoundedHandoff<Integer> h = new BoundedHandoff<>(1);
        h.fail(new IllegalStateException("broker says no"));

        assertThatThrownBy(() -> h.put(1, () -> true))
                .isInstanceOf(BoundedHandoff.HandoffFailedException.class)
                .hasMessageContaining("broker says no");
    }

    @Test
    void shouldRejectANonPositiveCapacity() {
        assertThatThrownBy(() -> new BoundedHandoff<Integer>(0)).hasMessageContaining("capacity");
    }
}
