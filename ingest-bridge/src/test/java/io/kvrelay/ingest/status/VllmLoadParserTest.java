package io.kvrelay.ingest.status;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VllmLoadParserTest {
    /** The shape of a vLLM v1 page with two DP engines (trimmed), with the current KV-usage name. */
    private static final String V1_TWO_ENGINES = """
            # HELP vllm:num_requests_running Number of requests in model execution batches.
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
            vllm:num_requests_running{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
            # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
            # TYPE vllm:num_requests_waiting gauge
            vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.0
            vllm:num_requests_waiting{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 4.0
            # HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
            # TYPE vllm:kv_cache_usage_perc gauge
            vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.25
            vllm:kv_cache_usage_perc{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.75
            # HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
            # TYPE vllm:prefix_cache_hits_total counter
            vllm:prefix_cache_hits_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.2e+06
            vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="m"} 0.0
            """;

    @Test
    void shouldSumRequestCountsAndTakeTheFullestEnginesUsage() {
        VllmLoadParser.Result r = VllmLoadParser.parse(V1_TWO_ENGINES);

        assertThat(r.load()).isEqualTo(new PodLoad(5, 5, 0.75));
        assertThat(r.missing()).isEmpty();
        assertThat(r.malformedLines()).isZero();
    }

    @Test
    void shouldReadTheOldUsageNameOfEarlierReleases() {
        String v0 = """
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{model_name="m"} 7.0
                # TYPE vllm:num_requests_waiting gauge
                vllm:num_requests_waiting{model_name="m"} 0.0
                # TYPE vllm:gpu_cache_usage_perc gauge
                vllm:gpu_cache_usage_perc{model_name="m"} 0.5
                # TYPE vllm:cpu_cache_usage_perc gauge
                vllm:cpu_cache_usage_perc{model_name="m"} 0.9
                """;

        assertThat(VllmLoadParser.parse(v0).load()).isEqualTo(new PodLoad(7, 0, 0.5));
    }

    @Test
    void shouldPreferTheNewUsageNameWhenAPageHasBoth() {
        String both = "vllm:gpu_cache_usage_perc 0.9\nvllm:kv_cache_usage_perc 0.1\n";

        assertThat(VllmLoadParser.parse(both).load().kvCacheUsage()).isEqualTo(0.1);
    }

    @Test
    void shouldReportAbsentMetricsAsUnknown() {
        VllmLoadParser.Result r = VllmLoadParser.parse("vllm:num_requests_waiting{model_name=\"m\"} 2\n");

        assertThat(r.load()).isEqualTo(new PodLoad(null, 2, null));
        assertThat(r.missing()).containsExactly("running", "kv_usage");
        assertThat(VllmLoadParser.parse("").load()).isEqualTo(PodLoad.UNKNOWN);
    }

    @Test
    void shouldTreatAGaugeWithAnUnusableSampleAsUnknownRatherThanGuess() {
        String page = """
                vllm:num_requests_running{engine="0"} 2
                vllm:num_requests_running{engine="1"} NaN
                vllm:num_requests_waiting{engine="0"} -1
                vllm:kv_cache_usage_perc{engine="0"} 0.5
                vllm:kv_cache_usage_perc{engine="1"} 1.5
                """;

        VllmLoadParser.Result r = VllmLoadParser.parse(page);
        assertThat(r.load()).isEqualTo(PodLoad.UNKNOWN);
        assertThat(r.missing()).containsExactly("running", "waiting", "kv_usage");
    }

    @Test
    void shouldReadScientificNotationAndRoundFloatNoiseInCounts() {
        String page = "vllm:num_requests_running 1.2e1\nvllm:num_requests_waiting 2.9999999\n"
                + "vllm:kv_cache_usage_perc 5e-2\n";

        assertThat(VllmLoadParser.parse(page).load()).isEqualTo(new PodLoad(12, 3, 0.05));
    }

    @Test
    void shouldCountMalformedLinesWithoutLosingTheGaugesAroundThem() {
        String page = "vllm:num_requests_running{model_name=\"m\"} 1\n"
                + "vllm:num_requests_waiting{model_name=\"m} 9\n"   // unterminated quote: skipped, not summed
                + "vllm:num_requests_waiting{model_name=\"m\"} 2\n"
                + "garbage line here\n"
                + "vllm:kv_cache_usage_perc{model_name=\"a \\\"quoted\\\", name\"} 0.3\n";

        VllmLoadParser.Result r = VllmLoadParser.parse(page);
        assertThat(r.load()).isEqualTo(new PodLoad(1, 2, 0.3));
        assertThat(r.malformedLines()).isEqualTo(2);
        assertThat(r.firstMalformedLine()).startsWith("vllm:num_requests_waiting");
    }

    @Test
    void shouldIgnoreSimilarlyNamedMetrics() {
        String page = "vllm:num_requests_running_total 50\nvllm:num_requests_running 1\n"
                + "xvllm:num_requests_waiting 9\nvllm:num_requests_waiting 0\nvllm:kv_cache_usage_perc 0\n";

        assertThat(VllmLoadParser.parse(page).load()).isEqualTo(new PodLoad(1, 0, 0.0));
    }
}
