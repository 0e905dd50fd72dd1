package io.kvrelay.router.scoring;

/**
 * The cost model's knobs, validated at construction (see {@link PodScorer} for the formula). A prompt block a pod
 * holds costs, relative to computing it (1): 0 on GPU, {@code cpuBlockCost} in CPU memory only, and
 * {@code storageBlockCost} in its storage tier only (disk or an offload store), by default in that rising order.
 *
 * @param cpuBlockCost     cost of a prompt block found only in a pod's CPU tier, relative to computing it (0..1):
 *                         it must be copied back to GPU, cheaper than prefill but not free
 * @param storageBlockCost cost of a prompt block found only in a pod's STORAGE tier (0..1]: read back from disk or a
 *                         store, slower than a host-memory copy; 0 (or absent in the configuration) takes the default,
 *                         a storage hit is never free
 * @param runningWeight    cost, in blocks, of one request already running on the pod
 * @param waitingWeight    cost, in blocks, of one request waiting in the pod's queue (it delays ours fully)
 * @param kvUsageWeight    cost, in blocks, of a full KV cache (scaled by usage 0..1): a full cache evicts to fit us
 * @param maxInFlight      a pod with running + waiting at or above this is overloaded: it keeps no sticky user
 * @param maxKvUsage       a pod at or above this KV usage (0..1) is overloaded
 */
public record CostWeights(double cpuBlockCost, double storageBlockCost, double runningWeight, double waitingWeight,
                          double kvUsageWeight, int maxInFlight, double maxKvUsage) {
    /** Default of {@link #storageBlockCost}: twice a CPU hit, half a recompute. */
    public static final double DEFAULT_STORAGE_BLOCK_COST = 0.5;

    public CostWeights {
        if (!(cpuBlockCost >= 0 && cpuBlockCost <= 1)) {
            throw new IllegalArgumentException("cost.cpuBlockCost must be in [0, 1], got " + cpuBlockCost);
        }
        storageBlockCost = storageBlockCost == 0 ? DEFAULT_STORAGE_BLOCK_COST : storageBlockCost;
        if (!(storageBlockCost > 0 && storageBlockCost <= 1)) {
            throw new IllegalArgumentException("cost.storageBlockCost must be in (0, 1], got " + storageBlockCost);
        }
        nonNegative("cost.runningWeight", runningWeight);
        nonNegative("cost.waitingWeight", waitingWeight);
        nonNegative("cost.kvUsageWeight", kvUsageWeight);
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("cost.maxInFlight must be > 0, got " + maxInFlight);
        }
        if (!(maxKvUsage > 0 && maxKvUsage <= 1)) {
            throw new IllegalArgumentException("cost.maxKvUsage must be in (0, 1], got " + maxKvUsage);
        }
    }

    /** The weights without a storage cost of their own: it takes {@link #DEFAULT_STORAGE_BLOCK_COST}. */
    public CostWeights(double cpuBlockCost, double runningWeight, double waitingWeight, double kvUsageWeight,
                       int maxInFlight, double maxKvUsage) {
        this(cpuBlockCost, DEFAULT_STORAGE_BLOCK_COST, runningWeight, waitingWeight, kvUsageWeight, maxInFlight,
                maxKvUsage);
    }

    /**
     * One running request costs as much as recomputing 4 blocks, a waiting one 16 (it waits for a whole request),
     * a full cache 8; CPU hits cost a quarter of a recompute (a host-to-GPU copy), storage hits half (a read from
     * disk or a store: slower than host memory, still well below prefill); 64 requests in flight or 98% KV usage is
     * overloaded.
     */
    public static CostWeights defaults() {
        return new CostWeights(0.25, DEFAULT_STORAGE_BLOCK_COST, 4, 16, 8, 64, 0.98);
    }

    private static void nonNegative(String name, double v) {
        if (!(v >= 0)) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + v);
        }
    }
}
