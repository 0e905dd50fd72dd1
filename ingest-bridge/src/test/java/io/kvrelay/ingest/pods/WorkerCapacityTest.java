package io.kvrelay.ingest.pods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WorkerCapacityTest {

    @Test
    void shouldHoldAThousandWorkersWithinTheUsualDescriptorLimits() {
        assertThat(WorkerCapacity.fromDescriptorLimit(20_000).workers()).isGreaterThanOrEqualTo(1_000);
        assertThat(WorkerCapacity.fromDescriptorLimit(65_536).workers()).isGreaterThan(3_000);
    }

    @Test
    void shouldSizeTheContextBeyondJeroMqsDefaultForTheCapacity() {
        WorkerCapacity c = new WorkerCapacity(1_000);

        assertThat(c.contextSockets()).isGreaterThanOrEqualTo(4 * 1_000).isGreaterThan(1_024);
    }

    @Test
    void shouldKeepAtLeastOneWorkerOnATinyLimitAndTakeAConfiguredOne() {
        assertThat(WorkerCapacity.fromDescriptorLimit(100).workers()).isEqualTo(1);
        assertThat(WorkerCapacity.of(7).workers()).isEqualTo(7);
        assertThatThrownBy(() -> new WorkerCapacity(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
