package io.kvrelay.ingest.status;

/**
 * A pod's load as its vLLM metrics tell it; each field null when unknown (not scraped, scrape failed, metric absent
 * or unusable, or the last good value is stale).
 *
 * @param runningRequests {@code vllm:num_requests_running}, summed over the pod's engines (DP ranks)
 * @param waitingRequests {@code vllm:num_requests_waiting}, summed likewise
 * @param kvCacheUsage    KV-cache usage 0..1, the fullest engine's ({@code vllm:kv_cache_usage_perc}, or
 *                        {@code vllm:gpu_cache_usage_perc} from older releases)
 */
public record PodLoad(Integer runningRequests, Integer waitingRequests, Double kvCacheUsage) {
    public static final PodLoad UNKNOWN = new PodLoad(null, null, null);
}
