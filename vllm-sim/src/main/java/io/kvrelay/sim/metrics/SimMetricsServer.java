package io.kvrelay.sim.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.ErrorMapper;
import io.kvrelay.http.HttpError;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Routes;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A pod's serving port (where vLLM answers its OpenAI API and {@code GET /metrics}): the Prometheus text, under vLLM's
 * metric names, so routers and the bridge that scrape load and cache usage can be pointed at simulated pods, and the
 * routes a caller adds (the pod adds {@code io.kvrelay.sim.serving.OpenAiApi}). Metric values come from the cache
 * models and the request gauges at each request.
 */
public final class SimMetricsServer implements AutoCloseable {
    private final String model;
    private final KvUsageMetric kvUsageMetric;
    private final Supplier<List<WorkerMetrics>> workers;
    private final HttpServer server;
    private volatile boolean serveMetrics;

    /** Binds {@code host:port} (0 = any free port; {@code *} = every interface) and starts serving. */
    public SimMetricsServer(String model, KvUsageMetric kvUsageMetric, Supplier<List<WorkerMetrics>> workers,
                            String host, int port, boolean serveMetrics) {
        this(model, kvUsageMetric, workers, host, port, serveMetrics, routes -> { });
    }

    /**
     * Binds {@code host:port} with {@code /metrics} and the routes {@code api} adds (the OpenAI API), on one server as
     * vLLM serves both on its {@code --port}.
     */
    public SimMetricsServer(String model, KvUsageMetric kvUsageMetric, Supplier<List<WorkerMetrics>> workers,
                            String host, int port, boolean serveMetrics, Consumer<Routes> api) {
        this.model = model;
        this.kvUsageMetric = kvUsageMetric;
        this.workers = workers;
        this.serveMetrics = serveMetrics;
        Routes routes = new Routes().get("/metrics", r -> {
            if (!this.serveMetrics) {
                throw HttpError.notFound("metrics are not served by this pod");
            }
            return Reply.metrics(render(model, kvUsageMetric, workers.get()));
        });
        api.accept(routes);
        try {
            this.server = new HttpServer("kvsim-serving", host.equals("*") ? "0.0.0.0" : host, port, 1,
                    HttpLimits.defaults().withWorkerThreads(1).withMaxConnections(256), routes, new ObjectMapper(),
                    ErrorMapper.NONE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the serving port " + host + ":" + port, e);
        }
    }

    public int port() {
        return server.port();
    }

    /** Turns {@code /metrics} off (404, as a pod whose metrics are unreachable) or on again. */
    public void serveMetrics(boolean on) {
        serveMetrics = on;
    }

    /**
     * The exposition text: one sample per rank, labelled like vLLM v1 ({@code engine}, {@code model_name}), with the
     * KV usage under {@code kvUsageMetric}'s name only, as a real release exports one of the two.
     */
    public static String render(String model, KvUsageMetric kvUsageMetric, List<WorkerMetrics> workers) {
        StringBuilder sb = new StringBuilder(2048);
        gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", model, workers,
                WorkerMetrics::running);
        gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", model, workers,
                WorkerMetrics::waiting);
        gauge(sb, kvUsageMetric.metricName(), kvUsageMetric.help(), model, workers, WorkerMetrics::usage);
        counter(sb, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.",
                model, workers, WorkerMetrics::prefixQueryTokens);
        counter(sb, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", model,
                workers, WorkerMetrics::prefixHitTokens);
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, String model, List<WorkerMetrics> workers,
                              ToDoubleFunction<WorkerMetrics> value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
        for (WorkerMetrics w : workers) {
            sample(sb, name, model, w.rank(), value.applyAsDouble(w));
        }
    }

    private static void counter(StringBuilder sb, String name, String help, String model,
                                List<WorkerMetrics> workers, ToDoubleFunction<WorkerMetrics> value) {
        sb.append("# HELP ").append(name).append("_total ").append(help).append('\n');
        sb.append("# TYPE ").append(name).append("_total counter\n");
        for (WorkerMetrics w : workers) {
            sample(sb, name + "_total", model, w.rank(), value.applyAsDouble(w));
        }
    }

    private static void sample(StringBuilder sb, String name, String model, int rank, double v) {
        // Double.toString is locale-free, and its scientific form for small values (1.0E-4) is valid exposition text.
        sb.append(name).append("{engine=\"").append(rank).append("\",model_name=\"").append(escape(model))
                .append("\"} ").append(v).append('\n');
    }

    private static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        server.close();
    }
}
