package io.kvrelay.ingest.position;

/**
 * Positions could not be recovered: Kafka stayed silent for longer than {@code kafka.recovery.timeoutMs}, refused
 * this client, or failed otherwise. The bridge must not start: without positions every worker's first batch would
 * look like a gap, and the resets it would emit would purge caches that are intact. Fix the cause, or start without
 * positions ({@code kafka.recoverPositions: false}). A scan that runs out of its own bounds is no failure: it reports
 * the workers it did not reach as unresolved.
 */
public final class PositionRecoveryException extends RuntimeException {
    public PositionRecoveryException(String message, Throwable cause) {
        super(message, cause);
    }

    public PositionRecoveryException(String message) {
        super(message);
    }
}
