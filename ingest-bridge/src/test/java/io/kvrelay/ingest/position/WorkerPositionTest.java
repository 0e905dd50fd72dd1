package io.kvrelay.ingest.position;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WorkerPositionTest {

    @Test
    void shouldCompareThePublisherIdByContentAndKeepItsOwnCopy() {
        byte[] id = new byte[16];
        id[3] = 7;
        WorkerPosition a = new WorkerPosition(5, 42L, "t", 10L, id);
        WorkerPosition b = new WorkerPosition(5, 42L, "t", 10L, id.clone());
        id[3] = 8;

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.publisherId()[3]).isEqualTo((byte) 7);
        a.publisherId()[3] = 9;
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(new WorkerPosition(5, 42L, "t", 10L, null));
        assertThat(a.toString()).contains("seq=5", "digest=2a", "00000007");
    }

    @Test
    void shouldRefuseWhatNoBatchCarries() {
        assertThatThrownBy(() -> new WorkerPosition(-1, null, "", null, null)).hasMessageContaining("lastSequence");
        assertThatThrownBy(() -> new WorkerPosition(0, null, "", null, new byte[8])).hasMessageContaining("16 bytes");
        assertThatThrownBy(() -> new WorkerPosition(0, null, null, null, null)).isInstanceOf(NullPointerException.class);
        assertThat(new WorkerPosition(0, null, "", null, null).payloadDigest()).isNull();
    }
}
