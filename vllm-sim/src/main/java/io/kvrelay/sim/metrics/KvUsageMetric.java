package io.kvrelay.sim.metrics;

/**
 * The name under which a pod reports its KV-cache usage. vLLM renamed the gauge when the v1 engine replaced the
 * GPU-only cache accounting; scrapers meet both in real fleets, so the simulator can speak either.
 */
public enum KvUsageMetric {
    /** vLLM v1 and later. */
    KV_CACHE_USAGE_PERC("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage."),
    /** Older releases (the v0 engine). */
    GPU_CACHE_USAGE_PERC("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.");

    private final String metricName;
    private final String help;

    KvUsageMetric(String metricName, String help) {
        this.metricName = metricName;
        this.help = help;
    }

    public String metricName() {
        return metricName;
    }

    String help() {
        return help;
    }
}
