package io.kvrelay.sim;

import java.time.Duration;
import java.util.Objects;

/**
 * How a simulated pod restarts ({@link SimPod#restart(RestartPlan)}).
 *
 * @param style    {@link Style#KEEP_SOCKETS}: the sockets stay bound and subscribers only see seq fall back to 0;
 *                 {@link Style#PROCESS_EXIT}: as vLLM, the process goes away (both sockets closed, so subscribers and
 *                 replay clients see a disconnect) and a new incarnation binds the same ports
 * @param downtime how long the pod is gone before the new incarnation binds (zero for KEEP_SOCKETS)
 * @param burst    batches the new incarnation publishes at once after binding, before or while consumers reconnect
 *                 (random prompts served back to back, so the cache ground truth stays exact)
 */
public record RestartPlan(Style style, Duration downtime, int burst) {
    public enum Style { KEEP_SOCKETS, PROCESS_EXIT }

    public RestartPlan {
        Objects.requireNonNull(style, "style");
        Objects.requireNonNull(downtime, "downtime");
        if (downtime.isNegative()) {
            throw new IllegalArgumentException("downtime must not be negative, got " + downtime);
        }
        if (style == Style.KEEP_SOCKETS && !downtime.isZero()) {
            throw new IllegalArgumentException("a restart that keeps its sockets bound has no downtime, got "
                    + downtime);
        }
        if (burst < 0) {
            throw new IllegalArgumentException("burst must be >= 0, got " + burst);
        }
    }

    /** The simulator's historical restart: sockets stay bound, seq back to 0, buffer emptied, nothing published. */
    public static RestartPlan keepSockets() {
        return new RestartPlan(Style.KEEP_SOCKETS, Duration.ZERO, 0);
    }

    /** vLLM's restart: gone for {@code downtime}, then bound again at seq 0 and publishing {@code burst} at once. */
    public static RestartPlan processExit(Duration downtime, int burst) {
        return new RestartPlan(Style.PROCESS_EXIT, downtime, burst);
    }

    public boolean keepsSockets() {
        return style == Style.KEEP_SOCKETS;
    }
}
