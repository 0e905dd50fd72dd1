package io.kvrelay.ingest.sequence;

import static io.kvrelay.ingest.sequence.SequenceTracker.Verdict.DELIVER;
import static io.kvrelay.ingest.sequence.SequenceTracker.Verdict.DUPLICATE;
import static io.kvrelay.ingest.sequence.SequenceTracker.Verdict.GAP;
import static io.kvrelay.ingest.sequence.SequenceTracker.Verdict.RESTART;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceTrackerTest {
    private final SequenceTracker t = new SequenceTracker();

    private SequenceTracker.Verdict liveAndDeliver(long seq) {
        SequenceTracker.Verdict v = t.onLive(seq);
        if (v == DELIVER) {
            t.delivered(seq);
        }
        return v;
    }

    @Test
    void shouldDeliverAnUnbrokenStreamFromZero() {
        for (long s = 0; s < 100; s++) {
            assertThat(liveAndDeliver(s)).isEqualTo(DELIVER);
        }
        assertThat(t.lastDelivered()).isEqualTo(99);
    }

    @Test
    void shouldAskForReplayFromZeroWhenJoiningMidStream() {
        assertThat(t.onLive(500)).isEqualTo(GAP);
        assertThat(t.nextExpected()).isZero();
    }

    @Test
    void shouldReportAGapFromTheNextExpectedSequence() {
        liveAndDeliver(0);
        liveAndDeliver(1);

        assertThat(t.onLive(5)).isEqualTo(GAP);
        assertThat(t.nextExpected()).isEqualTo(2);
    }

    @Test
    void shouldDropLiveMessagesThatReplayAlreadyDelivered() {
        liveAndDeliver(0);
        assertThat(t.onLive(3)).isEqualTo(GAP);
        for (long s = 1; s <= 6; s++) { // replay brought 1..6
            assertThat(t.onReplayed(s)).isIn(DELIVER);
            t.delivered(s);
        }
        assertThat(t.onReplayed(3)).isEqualTo(DUPLICATE); // the live message that triggered the replay
        assertThat(t.onLive(4)).isEqualTo(DUPLICATE);
        assertThat(t.onLive(6)).isEqualTo(DUPLICATE);
        assertThat(t.onLive(7)).isEqualTo(DELIVER);
    }

    @Test
    void shouldSeeARestartWhenTheLiveSequenceGoesBack() {
        liveAndDeliver(0);
        liveAndDeliver(1);
        liveAndDeliver(2);

        assertThat(t.onLive(0)).isEqualTo(RESTART);
        t.restartedAt(0);
        assertThat(t.onReplayed(0)).isEqualTo(DELIVER);
    }

    @Test
    void shouldSeeARestartEvenWhenTheNewSequenceEqualsTheOld() {
        liveAndDeliver(0);

        assertThat(t.onLive(0)).isEqualTo(RESTART);
    }

    @Test
    void shouldNotMistakeAReplayedDuplicateForARestart() {
        liveAndDeliver(0);
        t.onLive(10); // gap
        for (long s = 1; s <= 12; s++) {
            t.delivered(s);
        }
        assertThat(t.onLive(11)).isEqualTo(DUPLICATE);
        assertThat(t.onLive(13)).isEqualTo(DELIVER);
    }

    @Test
    void shouldStartOverAfterReset() {
        liveAndDeliver(0);
        liveAndDeliver(1);
        t.reset();

        assertThat(t.onLive(0)).isEqualTo(DELIVER);
    }
}
