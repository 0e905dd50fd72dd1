package io.kvrelay.sim.zmq;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReplayBufferTest {
    private static final UUID FIRST = new UUID(1, 1);

    @Test
    void keepsTheLastCapacityEntriesLikeABoundedDeque() {
        ReplayBuffer buf = new ReplayBuffer(3, FIRST);
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
        ReplayBuffer buf = new ReplayBuffer(3, FIRST);
        buf.append(7, new byte[0]);
        buf.append(8, new byte[0]);
        buf.append(0, new byte[0]);
        assertThat(buf.from(0)).extracting(ReplayBuffer.Entry::seq).containsExactly(0L);
        buf.clear();
        assertThat(buf.size()).isZero();
        assertThat(buf.oldestSeq()).isEqualTo(-1);
    }

    @Test
    void shouldHandEntriesOutWithTheIdOfTheIncarnationThatPublishedThem() {
        ReplayBuffer buf = new ReplayBuffer(3, FIRST);
        buf.append(0, new byte[0]);
        assertThat(buf.slice(0).publisherId()).isEqualTo(FIRST);
        UUID second = new UUID(2, 2);
        buf.reset(second);
        assertThat(buf.slice(0).entries()).isEmpty();
        buf.append(0, new byte[0]);
        assertThat(buf.slice(0)).extracting(ReplayBuffer.Slice::publisherId).isEqualTo(second);
    }
}
