package io.kvrelay.router.scoring;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The cost model's constants, validated at construction (see {@link PodScorer} for the formula). A pod's cost is its
 * predicted time to first token for the request, in milliseconds, so every constant is a time or a share of one:
 * a prompt block a pod holds costs, relative to computing it ({@code prefillMsPerBlock}): nothing on GPU,
 * {@code cpuBlockCost} in CPU memory only, {@code storageBlockCost} in its storage tier only.
 *
 * @param prefillMsPerBlock time a pod takes to compute one uncached prompt block (of the service's block size) when
 *                          its prefill slot is free; the unit of everything else. Default 2 ms per 16-token block
 *                          (8,000 prompt tokens/s: an 8B model on one current datacenter GPU is in that range)
 * @param cpuBlockCost      cost of a prompt block found only in a pod's CPU tier, as a share of computing it (0..1):
 *                          a host-to-GPU copy, cheaper than prefill but not free
 * @param storageBlockCost  the same for a block found only in a pod's STORAGE tier (disk or an offload store), (0..1]
 * @param runningMs         TTFT added per request running on the pod: decode steps share the batch with our prefill
 * @param waitingMs         prefill time assumed for each request the pod reports as waiting that the router did not
 *                          send itself, until it has seen requests to that pod (then their running mean)
 * @param kvUsageMs         TTFT added for a full KV cache, scaled by usage 0..1 (0 by default: a pod short of memory
 *                          queues requests, and that shows as waiting)
 * @param stickySlackMs     a user's link is kept while its pod's predicted TTFT is at most this much above the best
 *                          pod's: stickiness protects a conversation's cache from a stale index, not from a queue
 * @param reportLagMs       how long a request the router sent counts as running on top of the pod's reported figures,
 *                          before the pod's own reports (scrape, bridge, stream-app, state refresh) include it
 * @param maxInFlight       a pod with running + waiting at or above this is overloaded: it keeps no sticky user
 * @param maxKvUsage        a pod at or above this KV usage (0..1) is overloaded
 */
public record CostModel(double prefillMsPerBlock, double cpuBlockCost, double storageBlockCost, double runningMs,
                        double waitingMs, double kvUsageMs, double stickySlackMs, long reportLagMs, int maxInFlight,
                        double maxKvUsage) {
    public static final double DEFAULT_PREFILL_MS_PER_BLOCK = 2;
    public static final double DEFAULT_CPU_BLOCK_COST = 0.25;
    public static final double DEFAULT_STORAGE_BLOCK_COST = 0.5;
    public static final double DEFAULT_RUNNING_MS = 1;
    public static final double DEFAULT_WAITING_MS = 200;
    public static final double DEFAULT_KV_USAGE_MS = 0;
    public static final double DEFAULT_STICKY_SLACK_MS = 500;
    public static final long DEFAULT_REPORT_LAG_MS = 2_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    public static final double DEFAULT_MAX_KV_USAGE = 0.98;

    public CostModel {
        if (!(prefillMsPerBlock > 0 && prefillMsPerBlock < 1e6)) {
            throw new IllegalArgumentException("cost.prefillMsPerBlock must be > 0, got " + prefillMsPerBlock);
        }
        if (!(cpuBlockCost >= 0 && cpuBlockCost <= 1)) {
            throw new IllegalArgumentException("cost.cpuBlockCost must be in [0, 1], got " + cpuBlockCost);
        }
        if (!(storageBlockCost > 0 && storageBlockCost <= 1)) {
            throw new IllegalArgumentException("cost.storageBlockCost must be in (0, 1], got " + storageBlockCost);
        }
        nonNegative("cost.runningMs", runningMs);
        nonNegative("cost.waitingMs", waitingMs);
        nonNegative("cost.kvUsageMs", kvUsageMs);
        nonNegative("cost.stickySlackMs", stickySlackMs);
        if (reportLagMs < 0) {
            throw new IllegalArgumentException("cost.reportLagMs must be >= 0, got " + reportLagMs);
        }
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("cost.maxInFlight must be > 0, got " + maxInFlight);
        }
        if (!(maxKvUsage > 0 && maxKvUsage <= 1)) {
            throw new IllegalArgumentException("cost.maxKvUsage must be in (0, 1], got " + maxKvUsage);
        }
    }

    /**
     * From a configuration file: every constant absent takes its default (so 0 can be said on purpose, for example
     * {@code "cpuBlockCost": 0} for CPU hits as good as GPU ones).
     */
    @JsonCreator
    public static CostModel of(@JsonProperty("prefillMsPerBlock") Double prefillMsPerBlock,
                               @JsonProperty("cpuBlockCost") Double cpuBlockCost,
                               @JsonProperty("storageBlockCost") Double storageBlockCost,
                               @JsonProperty("runningMs") Double runningMs,
                               @JsonProperty("waitingMs") Double waitingMs,
                               @JsonProperty("kvUsageMs") Double kvUsageMs,
                               @JsonProperty("stickySlackMs") Double stickySlackMs,
                               @JsonProperty("reportLagMs") Long reportLagMs,
                               @JsonProperty("maxInFlight") Integer maxInFlight,
                               @JsonProperty("maxKvUsage") Double maxKvUsage,
                               @JsonProperty("runningWeight") Double runningWeight,
                               @JsonProperty("waitingWeight") Double waitingWeight,
                               @JsonProperty("kvUsageWeight") Double kvUsageWeight) {
        if (runningWeight != null || waitingWeight != null || kvUsageWeight != null) {
            // A configuration written for the weighted sum of blocks: its numbers mean nothing in milliseconds.
            throw new IllegalArgumentException("cost.runningWeight, cost.waitingWeight and cost.kvUsageWeight were "
                    + "replaced when the cost became a predicted time to first token in ms: use cost.runningMs, "
                    + "cost.waitingMs and cost.kvUsageMs (see docs/configuration.md)");
        }
        return new CostModel(or(prefillMsPerBlock, DEFAULT_PREFILL_MS_PER_BLOCK), or(cpuBlockCost, DEFAULT_CPU_BLOCK_COST),
                or(storageBlockCost, DEFAULT_STORAGE_BLOCK_COST), or(runningMs, DEFAULT_RUNNING_MS),
                or(waitingMs, DEFAULT_WAITING_MS), or(kvUsageMs, DEFAULT_KV_USAGE_MS),
                or(stickySlackMs, DEFAULT_STICKY_SLACK_MS), reportLagMs == null ? DEFAULT_REPORT_LAG_MS : reportLagMs,
                maxInFlight == null ? DEFAULT_MAX_IN_FLIGHT : maxInFlight, or(maxKvUsage, DEFAULT_MAX_KV_USAGE));
    }

    public static CostModel defaults() {
        return of(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The names {@link #with} accepts, in the order of the record. */
    public static final String KEYS = "prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs, waitingMs, "
            + "kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage";

    /**
     * This model with one constant changed, by its configuration name (for sweeps and named variants on the command
     * line). The result is validated like any other.
     *
     * @throws IllegalArgumentException for an unknown name or a value that is not a number
     */
    public CostModel with(String key, String value) {
        double v;
        try {
            v = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + value + "' for cost." + key);
        }
        return switch (key.strip()) {
            case "prefillMsPerBlock" -> new CostModel(v, cpuBlockCost, storageBlockCost, runningMs, waitingMs,
                    kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "cpuBlockCost" -> new CostModel(prefillMsPerBlock, v, storageBlockCost, runningMs, waitingMs,
                    kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "storageBlockCost" -> new CostModel(prefillMsPerBlock, cpuBlockCost, v, runningMs, waitingMs,
                    kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "runningMs" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, v, waitingMs,
                    kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "waitingMs" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs, v,
                    kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "kvUsageMs" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs, waitingMs,
                    v, stickySlackMs, reportLagMs, maxInFlight, maxKvUsage);
            case "stickySlackMs" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs,
                    waitingMs, kvUsageMs, v, reportLagMs, maxInFlight, maxKvUsage);
            case "reportLagMs" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs,
                    waitingMs, kvUsageMs, stickySlackMs, whole(key, v), maxInFlight, maxKvUsage);
            case "maxInFlight" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs,
                    waitingMs, kvUsageMs, stickySlackMs, reportLagMs, (int) whole(key, v), maxKvUsage);
            case "maxKvUsage" -> new CostModel(prefillMsPerBlock, cpuBlockCost, storageBlockCost, runningMs,
                    waitingMs, kvUsageMs, stickySlackMs, reportLagMs, maxInFlight, v);
            default -> throw new IllegalArgumentException("unknown cost constant '" + key.strip() + "' (" + KEYS + ")");
        };
    }

    private static long whole(String key, double v) {
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cost." + key + " must be a whole number, got " + v);
        }
        return (long) v;
    }

    private static double or(Double v, double dflt) {
        return v == null ? dflt : v;
    }

    private static void nonNegative(String name, double v) {
        if (!(v >= 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + v);
        }
    }
}
