package io.kvrelay.sim.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves a pod's Prometheus text at {@code GET /metrics} under vLLM's metric names, so routers that scrape load and
 * cache usage can be pointed at simulated pods. Values come from the cache models and the load gauges.
 *
 * <p>The JDK server needs {@code -Dsun.net.httpserver.nodelay=true} (set before it loads) to answer keep-alive
 * requests without a 40 ms Nagle delay; {@code SimMain} sets it, tests pass it on the command line.
 */
public final class SimMetricsServer implements AutoCloseable {
    private final String model;
    private final Supplier<List<WorkerMetrics>> workers;
    private final HttpServer server;
    private final ExecutorService executor;

    /** Binds {@code host:port} (0 = any free port; {@code *} = every interface) and starts serving. */
    public SimMetricsServer(String model, Supplier<List<WorkerMetrics>> workers, String host, int port) {
        this.model = model;
        this.workers = workers;
        try {
            InetSocketAddress addr = host.equals("*") ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
            this.server = HttpServer.create(addr, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind metrics on " + host + ":" + port, e);
        }
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kvsim-metrics-" + port);
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

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().add("Allow", "GET");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = render(model, workers.get()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The exposition text: one sample per rank, labelled like vLLM v1 ({@code model_name}, {@code engine}). */
    public static String render(String model, List<WorkerMetrics> workers) {
        StringBuilder sb = new StringBuilder(2048);
        gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", model, workers,
                w -> w.running());
        gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", model, workers,
                w -> w.waiting());
        gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", model, workers,
                WorkerMetrics::usage);
        // The pre-v1 name, still read by older routers and dashboards.
        gauge(sb, "vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", model, workers,
                WorkerMetrics::usage);
        counter(sb, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.",
                model, workers, w -> w.prefixQueryTokens());
        counter(sb, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", model,
                workers, w -> w.prefixHitTokens());
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, String model, List<WorkerMetrics> workers,
                              java.util.function.ToDoubleFunction<WorkerMetrics> value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
        for (WorkerMetrics w : workers) {
            sample(sb, name, model, w.rank(), value.applyAsDouble(w));
        }
    }

    private static void counter(StringBuilder sb, String name, String help, String model,
                                List<WorkerMetrics> workers, java.util.function.ToDoubleFunction<WorkerMetrics> value) {
        sb.append("# HELP ").append(name).append("_total ").append(help).append('\n');
        sb.append("# TYPE ").append(name).append("_total counter\n");
        for (WorkerMetrics w : workers) {
            sample(sb, name + "_total", model, w.rank(), value.applyAsDouble(w));
        }
    }

    private static void sample(StringBuilder sb, String name, String model, int rank, double v) {
        sb.append(name).append("{engine=\"").append(rank).append("\",model_name=\"").append(escape(model))
                .append("\"} ").append(String.format(Locale.ROOT, "%s", v)).append('\n');
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
