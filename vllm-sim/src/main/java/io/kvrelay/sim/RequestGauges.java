package io.kvrelay.sim;

/**
 * A rank's running and waiting request counts, as vLLM's {@code num_requests_running} / {@code num_requests_waiting}
 * report them. The simulator does not schedule requests itself; callers (tests, a workload that runs each request on
 * its pod) move these. Kept apart from the worker's monitor so a scrape never waits behind a long serve burst.
 *
 * <p>Thread-safe: changes are serialised here, and a snapshot reads both counts under the same lock.
 */
final class RequestGauges {
    private int running;
    private int waiting;

    synchronized void set(int newRunning, int newWaiting) {
        requireNonNegative("running", newRunning);
        requireNonNegative("waiting", newWaiting);
        running = newRunning;
        waiting = newWaiting;
    }

    /** Moves both counts by the deltas; refuses a change that would make either negative, and changes nothing then. */
    synchronized void add(int runningDelta, int waitingDelta) {
        long r = (long) running + runningDelta;
        long w = (long) waiting + waitingDelta;
        if (r < 0 || w < 0) {
            throw new IllegalStateException("request counts cannot go negative: running " + running + " + "
                    + runningDelta + ", waiting " + waiting + " + " + waitingDelta);
        }
        if (r > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
            throw new IllegalStateException("request counts overflow");
        }
        running = (int) r;
        waiting = (int) w;
    }

    synchronized int running() {
        return running;
    }

    synchronized int waiting() {
        return waiting;
    }

    /** Both counts read together: {@code [running, waiting]}. */
    synchronized int[] snapshot() {
        return new int[] {running, waiting};
    }

    private static void requireNonNegative(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + value);
        }
    }
}
