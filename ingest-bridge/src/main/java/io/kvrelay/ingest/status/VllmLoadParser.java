package io.kvrelay.ingest.status;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a vLLM {@code /metrics} page into a {@link PodLoad}. Every label set of a gauge counts (vLLM labels by
 * {@code model_name}, and by {@code engine} when a pod runs several data-parallel ranks); labels are not filtered,
 * since the served model name need not match the one in the pod's config.
 *
 * <ul>
 *   <li>Request counts are summed: the pod's load is every engine's requests.</li>
 *   <li>KV usage is the maximum over engines, not the mean: the router uses it to keep requests off pods that are
 *       about to evict and preempt, and one full engine does that while the mean still looks comfortable (the mean
 *       of fractions would also be wrong for engines of different sizes, which the gauge does not tell).</li>
 *   <li>{@code vllm:kv_cache_usage_perc} (vLLM v1) wins over {@code vllm:gpu_cache_usage_perc} (older releases)
 *       when a page has both.</li>
 *   <li>A gauge with any unusable sample (NaN, infinite, negative; usage above 1) is unknown as a whole, rather than
 *       an aggregate of the engines that happened to report.</li>
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class VllmLoadParser {
    static final String RUNNING = "vllm:num_requests_running";
    static final String WAITING = "vllm:num_requests_waiting";
    static final String KV_CACHE_USAGE = "vllm:kv_cache_usage_perc";
    static final String GPU_CACHE_USAGE = "vllm:gpu_cache_usage_perc";

    private VllmLoadParser() {
    }

    /**
     * @param missing        names of the load fields the page did not give a usable value for
     *                       ({@code running}, {@code waiting}, {@code kv_usage}), for counting and logging
     */
    public record Result(PodLoad load, List<String> missing, int samples, int malformedLines,
                         String firstMalformedLine) {
    }

    public static Result parse(String page) {
        Gauge running = new Gauge();
        Gauge waiting = new Gauge();
        Gauge kvUsage = new Gauge();
        Gauge gpuUsage = new Gauge();
        PrometheusTextReader.Summary summary = PrometheusTextReader.read(page, (name, value) -> {
            switch (name) {
                case RUNNING -> running.add(value);
                case WAITING -> waiting.add(value);
                case KV_CACHE_USAGE -> kvUsage.add(value);
                case GPU_CACHE_USAGE -> gpuUsage.add(value);
                default -> { }
            }
        });
        PodLoad load = new PodLoad(running.count(), waiting.count(),
                kvUsage.seen() ? kvUsage.fraction() : gpuUsage.fraction());
        List<String> missing = new ArrayList<>(3);
        if (load.runningRequests() == null) {
            missing.add("running");
        }
        if (load.waitingRequests() == null) {
            missing.add("waiting");
        }
        if (load.kvCacheUsage() == null) {
            missing.add("kv_usage");
        }
        return new Result(load, List.copyOf(missing), summary.samples(), summary.malformedLines(),
                summary.firstMalformedLine());
    }

    /** One gauge's samples over its label sets. */
    private static final class Gauge {
        private double sum;
        private double max;
        private int samples;
        private boolean unusable;

        void add(double v) {
            if (!Double.isFinite(v) || v < 0) {
                unusable = true;
                return;
            }
            sum += v;
            max = Math.max(max, v);
            samples++;
        }

        boolean seen() {
            return samples > 0 || unusable;
        }

        /** The sum as a request count, or null. Counts are integral gauges; rounding absorbs float noise. */
        Integer count() {
            if (unusable || samples == 0 || sum > Integer.MAX_VALUE) {
                return null;
            }
            return (int) Math.round(sum);
        }

        /** The maximum as a 0..1 fraction, or null. */
        Double fraction() {
            if (unusable || samples == 0 || max > 1.0) {
                return null;
            }
            return max;
        }
    }
}
