package io.kvrelay.stream.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.testing.TestBatches;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class ReplayStateTest {
    private final List<String> log = new ArrayList<>();
    private final ReplayState state = new ReplayState(new SimpleMeterRegistry(), new ReplayState.BlockLifecycle() {
        @Override
        public void appeared(Bytes entry) {
            log.add("+");
        }

        @Override
        public void disappeared(Bytes entry) {
            log.add("-");
        }
    });

    @Test
    void shouldReportEachEntryAppearingOnceAndDisappearingOnce() {
        state.apply(TestBatches.batch("pod-a", 0, TestBatches.stored(1, 2, 3), 0));
        state.apply(TestBatches.batch("pod-a", 1, TestBatches.stored(1), 0)); // stored again: not a new entry
        assertThat(log).containsExactly("+", "+", "+");
        state.apply(TestBatches.batch("pod-a", 2, new BlockRemoved(List.of(2L, 99L), null, null, null, null), 0));
        assertThat(log).containsExactly("+", "+", "+", "-");
        state.apply(TestBatches.batch("pod-a", 3, new AllBlocksCleared(), 0));
        assertThat(log).containsExactly("+", "+", "+", "-", "-", "-");
        assertThat(state.blocksHeld("ns/svc/pod-a")).isZero();
    }

    /** A block announced REMOTE is not in the pod's cache: no lifetime starts or ends with it. */
    @Test
    void shouldNotReportRemoteBlocksAsCacheEntries() {
        io.kvrelay.schemas.avro.BlockStored remote = TestBatches.stored(1, 2);
        remote.setLocality(io.kvrelay.schemas.avro.BlockLocality.REMOTE);
        state.apply(TestBatches.batch("pod-a", 0, remote, 0));
        assertThat(log).isEmpty();
        state.apply(TestBatches.batch("pod-a", 1, TestBatches.stored(1), 0)); // now held locally too
        assertThat(log).containsExactly("+");
        state.apply(TestBatches.batch("pod-a", 2, new BlockRemoved(List.of(1L, 2L), null, null,
                io.kvrelay.schemas.avro.BlockLocality.REMOTE, null), 0));
        assertThat(log).as("the local copy stays").containsExactly("+");
        state.apply(TestBatches.batch("pod-a", 3, new BlockRemoved(List.of(1L), null, null, null, null), 0));
        assertThat(log).containsExactly("+", "-");
        assertThat(state.blocksHeld("ns/svc/pod-a")).isZero();
    }

    @Test
    void shouldMatchAPodsPrefixOverItsRanks() {
        state.apply(TestBatches.batch("pod-a", 0, TestBatches.stored(1, 2), 0));
        KvEventBatch rank1 = TestBatches.batch("pod-a", 0, TestBatches.stored(1, 2, 3), 0);
        rank1.setDpRank(1);
        state.apply(rank1);
        long[] keys = BlockKeys.chain(TestBatches.tokensOf(1, 2, 3, 4), 16, (String) null);
        assertThat(state.matchedPrefix("ns/svc/pod-a", keys)).as("the longer rank").isEqualTo(3);
        assertThat(state.matchedPrefix("ns/svc/pod-b", keys)).isZero();
        assertThat(state.blocksHeld("ns/svc/pod-a")).isEqualTo(5);
        assertThat(state.workersOfService("ns/svc")).hasSize(2);
    }

    @Test
    void shouldFindAPodWhoseFirstBatchLeftItEmpty() {
        // A window that starts with pod-a's clear, then another pod appears (the grouping is rebuilt while pod-a holds
        // nothing), then pod-a stores: its blocks must count.
        state.apply(TestBatches.batch("pod-a", 0, new AllBlocksCleared(), 0));
        state.apply(TestBatches.batch("pod-b", 0, TestBatches.stored(7), 0));
        assertThat(state.blocksHeld("ns/svc/pod-b")).isEqualTo(1);
        state.apply(TestBatches.batch("pod-a", 1, TestBatches.stored(1, 2, 3), 0));
        assertThat(state.blocksHeld("ns/svc/pod-a")).isEqualTo(3);
        long[] keys = BlockKeys.chain(TestBatches.tokensOf(1, 2), 16, (String) null);
        assertThat(state.matchedPrefix("ns/svc/pod-a", keys)).isEqualTo(2);
    }

    @Test
    void shouldCountWhatItCouldNotApply() {
        state.apply(TestBatches.batch("pod-a", 0, new BlockRemoved(List.of(5L, 6L), null, null, null, null), 0));
        KvEventBatch orphan = TestBatches.batch("pod-a", 1, TestBatches.stored(8, 9), 0);
        ((io.kvrelay.schemas.avro.BlockStored) orphan.getEvents().get(0)).setParentBlockHash(4L);
        state.apply(orphan);
        assertThat(state.unknownRemovedBlocks()).isEqualTo(2);
        assertThat(state.unknownParentBlocks()).isEqualTo(2);
        assertThat(state.blocksHeld("ns/svc/pod-a")).isZero();
    }
}
