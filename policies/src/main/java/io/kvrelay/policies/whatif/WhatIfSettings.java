package io.kvrelay.policies.whatif;

import io.kvrelay.policies.LeastLoadedPolicy;
import io.kvrelay.policies.OraclePolicy;
import io.kvrelay.policies.RoundRobinPolicy;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.policies.StickyOnlyPolicy;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.scoring.CostModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The counterfactual's model, validated at construction; {@link #defaults()} for the documented defaults.
 *
 * <p>Every request is charged as bench-routing charges it ({@code ServiceModel}): TTFT = wait for the pod's prefill
 * slot + uncached blocks x {@code prefillMsPerBlock} + {@code overheadMs}; the request then stays in flight for
 * {@code decodeMs} more (recorded decisions carry no output length, so decoding is a fixed time).
 *
 * @param capacityBlocks  cache size per pod id ({@code namespace/service/pod}); the replay passes each pod's peak blocks
 *                        held in the event log
 * @param defaultCapacityBlocks the cache size of a pod not in {@code capacityBlocks}
 * @param kvrelayVariants the kvrelay weightings to replay, in report order: policy name → weights
 * @param seed            sticky-only's random pod for new users
 */
public record WhatIfSettings(double prefillMsPerBlock, double overheadMs, double decodeMs, int defaultCapacityBlocks,
                             Map<String, Integer> capacityBlocks, Map<String, CostModel> kvrelayVariants,
                             long seed) {
    /** Names of the other policies, which a kvrelay variant may not take. */
    static final Set<String> BASELINES = Set.of(Counterfactual.AS_RECORDED, new RoundRobinPolicy().name(),
            new LeastLoadedPolicy().name(), new StickyOnlyPolicy(0).name(), new OraclePolicy().name());

    public WhatIfSettings {
        if (!(prefillMsPerBlock >= 0) || !(overheadMs >= 0) || !(decodeMs >= 0)) {
            throw new IllegalArgumentException("prefillMsPerBlock, overheadMs and decodeMs must be >= 0, got "
                    + prefillMsPerBlock + ", " + overheadMs + ", " + decodeMs);
        }
        if (defaultCapacityBlocks <= 0) {
            throw new IllegalArgumentException("defaultCapacityBlocks must be > 0, got " + defaultCapacityBlocks);
        }
        capacityBlocks = Map.copyOf(capacityBlocks); // rejects null pods and sizes
        capacityBlocks.forEach((pod, blocks) -> {
            if (blocks <= 0) {
                throw new IllegalArgumentException("capacity of " + pod + " must be > 0, got " + blocks);
            }
        });
        kvrelayVariants = Collections.unmodifiableMap(new LinkedHashMap<>(kvrelayVariants));
        kvrelayVariants.forEach((name, w) -> {
            if (name == null || name.isBlank() || w == null) {
                throw new IllegalArgumentException("a kvrelay variant needs a name and weights");
            }
            if (BASELINES.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is a baseline policy's name; name the weights otherwise");
            }
        });
    }

    /**
     * 2 ms per uncached block and 10 ms overhead (bench-routing's defaults), 500 ms in flight after the first token,
     * 1,024 blocks for a pod of unknown size, seed 42, and three variants of the router's cost model:
     * <ul>
     *   <li>{@code kvrelay}: {@link CostModel#defaults()}, what the router runs unless configured otherwise;</li>
     *   <li>{@code kvrelay-sticky}: links kept until their pod is overloaded, however much slower it is (the rule
     *       before the cost became a predicted TTFT);</li>
     *   <li>{@code kvrelay-busy-decode}: 20 ms per running request (decode steps that slow a prefill down a lot).</li>
     * </ul>
     */
    public static WhatIfSettings defaults() {
        CostModel d = CostModel.defaults();
        Map<String, CostModel> variants = new LinkedHashMap<>();
        variants.put("kvrelay", d);
        variants.put("kvrelay-sticky", d.with("stickySlackMs", "1e12"));
        variants.put("kvrelay-busy-decode", d.with("runningMs", "20"));
        return new WhatIfSettings(2, 10, 500, 1024, Map.of(), variants, 42);
    }

    /** The same with another prefill cost per uncached block and another time in flight after the first token. */
    public WhatIfSettings withModel(double prefillMsPerBlock, double decodeMs) {
        return new WhatIfSettings(prefillMsPerBlock, overheadMs, decodeMs, defaultCapacityBlocks, capacityBlocks,
                kvrelayVariants, seed);
    }

    /** The same with these weightings replayed after the others; a name already taken is refused. */
    public WhatIfSettings withExtraWeights(Map<String, CostModel> extra) {
        Map<String, CostModel> all = new LinkedHashMap<>(kvrelayVariants);
        extra.forEach((name, w) -> {
            if (all.putIfAbsent(name, w) != null) {
                throw new IllegalArgumentException("kvrelay variant '" + name + "' is already defined");
            }
        });
        return new WhatIfSettings(prefillMsPerBlock, overheadMs, decodeMs, defaultCapacityBlocks, capacityBlocks, all,
                seed);
    }

    /**
     * The same with these cache sizes per pod id; a pod given 0 blocks (it never held one in the log) keeps
     * {@link #defaultCapacityBlocks()}.
     */
    public WhatIfSettings withCapacities(Map<String, Integer> blocksByPodId) {
        Map<String, Integer> known = new TreeMap<>();
        blocksByPodId.forEach((pod, blocks) -> {
            if (blocks != null && blocks > 0) {
                known.put(pod, blocks);
            }
        });
        return new WhatIfSettings(prefillMsPerBlock, overheadMs, decodeMs, defaultCapacityBlocks, known,
                kvrelayVariants, seed);
    }

    public WhatIfSettings withSeed(long seed) {
        return new WhatIfSettings(prefillMsPerBlock, overheadMs, decodeMs, defaultCapacityBlocks, capacityBlocks,
                kvrelayVariants, seed);
    }

    /** The cache size of pod {@code namespace/service/pod}. */
    public int capacityOf(String podId) {
        return capacityBlocks.getOrDefault(podId, defaultCapacityBlocks);
    }

    /** For the report: the model in words and every setting (JSON-friendly, in a stable order). */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ttft", "wait for the pod's prefill slot + uncached blocks x prefillMsPerBlock + overheadMs");
        out.put("inFlight", "until TTFT + decodeMs");
        out.put("cache", "per pod, LRU over block keys, capacityBlocks (peak blocks held in the log) or "
                + "defaultCapacityBlocks");
        out.put("links", "a user's sticky link idles out after " + LinkConfig.DEFAULT_REDIS_TTL_MS / 60_000
                + " min unused (router-api's default links.redisTtlMs)");
        out.put("prefillMsPerBlock", prefillMsPerBlock);
        out.put("overheadMs", overheadMs);
        out.put("decodeMs", decodeMs);
        out.put("defaultCapacityBlocks", defaultCapacityBlocks);
        out.put("capacityBlocks", new TreeMap<>(capacityBlocks));
        out.put("kvrelayVariants", kvrelayVariants);
        out.put("seed", seed);
        return out;
    }
}
