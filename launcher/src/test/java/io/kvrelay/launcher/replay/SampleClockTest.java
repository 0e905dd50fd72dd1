package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleClockTest {
    private final List<String> samples = new ArrayList<>();
    private final SampleClock.Sampler sampler = (at, seconds) -> samples.add(at + "/" + seconds);

    @Test
    void shouldSampleAtEveryBoundaryPassedThenJustAfterTheLastRecord() {
        SampleClock clock = new SampleClock(1_000);
        for (long ts : new long[] {9_999, 10_500, 11_000, 12_400}) {
            clock.before(ts, sampler);
        }
        clock.end(sampler);
        // First interval on a round multiple (9,000..10,000), not a 1 ms one from the first record; the last one
        // ends just after the last record (12,401), not at the next boundary.
        assertThat(samples).containsExactly("10000/1.0", "11000/1.0", "12000/1.0", "12401/0.401");
    }

    @Test
    void shouldNotSampleEveryIntervalOfAnIdleStretchOrABogusClock() {
        SampleClock clock = new SampleClock(1_000);
        clock.before(1_000, sampler);
        clock.before(-1, sampler); // no timestamp: ignored by the clock
        clock.before(5_000_000_000_000L, sampler); // a clock 150 years ahead
        assertThat(samples).containsExactly("2000/1.0", "5000000000000/4.999999998E9");
        clock.end(sampler);
        assertThat(samples).hasSize(3).last().isEqualTo("5000000000001/0.001");
    }

    @Test
    void shouldTakeNoSampleWithoutRecords() {
        new SampleClock(1_000).end(sampler);
        assertThat(samples).isEmpty();
    }
}
