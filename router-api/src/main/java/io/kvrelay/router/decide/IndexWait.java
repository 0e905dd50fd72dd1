package io.kvrelay.router.decide;

import java.time.Duration;

/**
 * How long a decision waits for stream-app's prefix index: at least {@code floor}, and for a long prompt a share of
 * its whole prefill time. The index can save up to that time (a 1,000-block prompt is seconds of prefill), so waiting
 * a tenth of it for the answer pays, where a fixed 50 ms failed long prompts whenever a busy stream-app took longer and
 * the decision went on blind.
 *
 * @param floor the configured fan-out deadline ({@code fanOutTimeoutMs})
 * @param share {@code indexWaitShare}, 0..1 (0: the floor alone)
 */
public record IndexWait(Duration floor, double share) {
    public IndexWait {
        if (floor == null || floor.isNegative() || floor.isZero()) {
            throw new IllegalArgumentException("the fan-out deadline must be > 0");
        }
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("indexWaitShare must be in [0, 1], got " + share);
        }
    }

    /** The deadline for a prompt of {@code blocks} blocks, each {@code prefillMsPerBlock} to compute. */
    public Duration deadline(int blocks, double prefillMsPerBlock) {
        long ms = (long) Math.ceil(share * blocks * prefillMsPerBlock);
        return ms <= floor.toMillis() ? floor : Duration.ofMillis(ms);
    }
}
