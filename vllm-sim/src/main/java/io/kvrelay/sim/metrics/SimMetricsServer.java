package io.kvrelay.sim.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A pod's serving port (where vLLM answers its OpenAI API and {@code GET /metrics}); the simulator serves only the
 * Prometheus text, under vLLM's metric names, so routers and the bridge that scrape load and cache usage can be
 * pointed at simulated pods. Values come from the cache models and the request gauges at each request.
 *
 * <p>The JDK server needs {@code -Dsun.net.httpserver.nodelay=true} (set before it loads) to answer keep-alive
 * requests without a 40 ms Nagle delay; {@code SimMain} sets it, tests pass it on the command line.
 */
public final class SimMetricsServer implements AutoCloseable {
    private static final byte[] NOT_SERVED = "metrics are not served by this pod\n".getBytes(StandardCharsets.UTF_8);

    private final String model;
    private final KvUsageMetric kvUsageMetric;
    private final Supplier<List<WorkerMetrics>> workers;
    private final HttpServer server;
    private final ExecutorService executor;
    private volatile boolean serveMetrics;

    /** Binds {@code host:port} (0 = any free port; {@code *} = every interface) and starts serving. */
    public SimMetricsServer(String model, KvUsageMetric kvUsageMetric, Supplier<List<WorkerMetrics>> workers,
                            String host, int port, boolean serveMetrics) {
        this.model = model;
        this.kvUsageMetric = kvUsageMetric;
        this.workers = workers;
        this.serveMetrics = serveMetrics;
        try {
            InetSocketAddress addr = host.equals("*") ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
            this.server = HttpServer.create(addr, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the serving port on " + host + ":" + port, e);
        }
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kvsim-serving-" + port);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Turns {@code /metrics} off (404, as a pod whose metrics are unreachable) or on again. */
    public void serveMetrics(boolean on) {
        serveMetrics = on;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().add("Allow", "GET");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            boolean on = serveMetrics;
            byte[] body = on ? render(model, kvUsageMetric, workers.get()).getBytes(StandardCharsets.UTF_8)
                    : NOT_SERVED;
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(on ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
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
        server.stop(0);
        executor.shutdownNow();
    }
}
