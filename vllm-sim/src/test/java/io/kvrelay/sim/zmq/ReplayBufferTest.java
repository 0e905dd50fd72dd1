package io.kvrelay.sim.zmq;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplayBufferTest {
    @Test
    void keepsTheLastCapacityEntriesLikeABoundedDeque() {
        ReplayBuffer buf = new ReplayBuffer(3);
        for (long s = 0; s < 5; s++) {
            buf.append(s, new byte[] {(byte) s});
        }
        assertThat(buf.oldestSeq()).isEqualTo(2);
        assertThat(buf.from(0)).extracting(ReplayBuffer.Entry::seq).containsExactly(2L, 3L, 4L);
        assertThat(buf.from(4)).extracting(ReplayBuffer.Entry::seq).containsExactly(4L);
        assertThat(buf.from(5)).isEmpty();
        assertThat(buf.from(-1L)).as("start is unsigned: ff..ff is beyond every seq").isEmpty();
    }

    @Test
    void aSeqThatDoesNotFollowOnStartsOver() {
        ReplayBuffer buf = new ReplayBuffer(3);
        buf.append(7, new byte[0]);
        buf.append(8, new byte[0]);
        buf.append(0, new byte[0]);
        assertThat(buf.from(0)).extracting(ReplayBuffer.Entry::seq).containsExactly(0L);
        buf.clear();
        assertThat(buf.size()).isZero();
        assertThat(buf.oldestSeq()).isEqualTo(-1);
    }
}
