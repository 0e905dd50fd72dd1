package io.kvrelay.sim;

/**
 * A rank's running and waiting request counts, as vLLM's {@code num_requests_running} / {@code num_requests_waiting}
 * report them, and the KV blocks the running requests hold (what vLLM's KV usage counts). The simulator does not
 * schedule requests itself; callers (tests, a workload that runs each request on its pod) move these. Kept apart from
 * the worker's monitor so a scrape never waits behind a long serve burst.
 *
 * <p>Thread-safe: changes are serialised here, and a snapshot reads every value under the same lock.
 */
final class RequestGauges {
    private int running;
    private int waiting;
    private int heldBlocks;

    /** Sets the counts; the blocks held stay as they are. */
    synchronized void set(int newRunning, int newWaiting) {
        set(newRunning, newWaiting, heldBlocks);
    }

    synchronized void set(int newRunning, int newWaiting, int newHeldBlocks) {
        requireNonNegative("running", newRunning);
        requireNonNegative("waiting", newWaiting);
        requireNonNegative("heldBlocks", newHeldBlocks);
        running = newRunning;
        waiting = newWaiting;
        heldBlocks = newHeldBlocks;
    }

    /** Moves the counts by the deltas; see {@link #add(int, int, int)}. */
    synchronized void add(int runningDelta, int waitingDelta) {
        add(runningDelta, waitingDelta, 0);
    }

    /** Moves every value by its delta; refuses a change that would make any negative, and changes nothing then. */
    synchronized void add(int runningDelta, int waitingDelta, int heldBlocksDelta) {
        long r = (long) running + runningDelta;
        long w = (long) waiting + waitingDelta;
        long b = (long) heldBlocks + heldBlocksDelta;
        if (r < 0 || w < 0 || b < 0) {
            throw new IllegalStateException("request gauges cannot go negative: running " + running + " + "
                    + runningDelta + ", waiting " + waiting + " + " + waitingDelta + ", held blocks " + heldBlocks
                    + " + " + heldBlocksDelta);
        }
        if (r > Integer.MAX_VALUE || w > Integer.MAX_VALUE || b > Integer.MAX_VALUE) {
            throw new IllegalStateException("request gauges overflow");
        }
        running = (int) r;
        waiting = (int) w;
        heldBlocks = (int) b;
    }

    /** Every value read together: {@code [running, waiting, heldBlocks]}. */
    synchronized int[] snapshot() {
        return new int[] {running, waiting, heldBlocks};
    }

    private static void requireNonNegative(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + value);
        }
    }
}
