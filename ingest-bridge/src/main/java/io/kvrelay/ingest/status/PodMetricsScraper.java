package io.kvrelay.ingest.status;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.PodMetricsConfig;
import io.kvrelay.ingest.metrics.BridgeMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes the vLLM metrics of every pod with a serving port, once per status interval, and keeps each pod's last
 * good {@link PodLoad} for the {@link PodStatusReporter}. It runs on its own timer and a small HTTP pool, never on the
 * ZeroMQ threads, and never waits for a pod: a round only starts requests, so a slow or dead pod costs one abandoned
 * request per interval and nothing on ingestion.
 *
 * <p>Each scrape is bounded as a whole (connect, headers and body) by {@code podMetrics.timeoutMs}, and a pod is
 * never scraped twice at once. Failures and absent metrics are counted ({@code kvrelay_bridge_pod_metrics_*}) and
 * logged on change only. Thread-safe.
 */
public final class PodMetricsScraper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodMetricsScraper.class);
    /** vLLM's page is tens to hundreds of KB (histograms per engine); more means something else answers there. */
    static final int MAX_BODY_BYTES = 4 << 20;
    /** Without it prometheus_client may negotiate OpenMetrics; the classic text format is what the parser reads. */
    private static final String ACCEPT = "text/plain; version=0.0.4";

    private final Supplier<? extends Collection<PodConfig>> pods;
    private final BridgeMetrics metrics;
    private final long timeoutMs;
    private final long staleAfterNanos;
    private final LongSupplier nanoClock;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService httpPool;
    private final HttpClient client;
    private final Map<String, ScrapeTarget> targets = new ConcurrentHashMap<>();

    public PodMetricsScraper(PodMetricsConfig config, Supplier<? extends Collection<PodConfig>> pods,
                             BridgeMetrics metrics) {
        this(config, pods, metrics, System::nanoTime);
    }

    PodMetricsScraper(PodMetricsConfig config, Supplier<? extends Collection<PodConfig>> pods, BridgeMetrics metrics,
                      LongSupplier nanoClock) {
        this.pods = pods;
        this.metrics = metrics;
        this.timeoutMs = config.timeoutMs();
        this.staleAfterNanos = TimeUnit.MILLISECONDS.toNanos(config.staleAfterMs());
        this.nanoClock = nanoClock;
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("pod-metrics"));
        timer.setRemoveOnCancelPolicy(true); // one deadline per scrape, nearly all cancelled: do not keep them queued
        this.httpPool = Executors.newFixedThreadPool(2, daemon("pod-metrics-http"));
        this.client = HttpClient.newBuilder()
                .executor(httpPool)
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                // Pods are reached directly; a JVM-wide http.proxyHost meant for other traffic must not reroute them.
                .proxy(HttpClient.Builder.NO_PROXY)
                // Shorter than the whole budget, so a pod that does not accept connections is told apart from one
                // that accepts and then does not answer.
                .connectTimeout(Duration.ofMillis(Math.max(1, timeoutMs / 2)))
                .build();
    }

    /** Scrapes now and then every {@code intervalMs}. */
    public void start(long intervalMs) {
        timer.scheduleAtFixedRate(this::scrapeAll, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    /**
     * The pod's last good load, or {@link PodLoad#UNKNOWN} when it has no serving port, no scrape succeeded yet, or
     * the last success is older than {@code podMetrics.staleAfterMs}.
     */
    public PodLoad load(String podId) {
        ScrapeTarget t = targets.get(podId);
        return t == null ? PodLoad.UNKNOWN : t.load(nanoClock.getAsLong(), staleAfterNanos);
    }

    /**
     * For how long the pod's load has been unknown although it is scraped, in nanoseconds (0 while it is known); -1 when
     * the pod is not scraped at all (no serving port, or not seen by a round yet). A pod whose ZeroMQ connection stays
     * up while its metrics do not answer may be hung: stream-app makes it suspect, then unroutable, from this.
     */
    public long unknownForNanos(String podId) {
        ScrapeTarget t = targets.get(podId);
        return t == null ? -1 : t.unknownForNanos(nanoClock.getAsLong(), staleAfterNanos);
    }

    /** Drops what is known about a removed pod, so a pod added again under its id starts unknown. */
    public void forget(String podId) {
        targets.remove(podId);
    }

    /** Starts one scrape per pod whose previous scrape has ended; returns without waiting for any. */
    void scrapeAll() {
        try {
            Set<String> present = new HashSet<>();
            for (PodConfig pod : pods.get()) {
                URI uri = pod.metricsUri();
                if (uri == null) {
                    continue;
                }
                String id = pod.key().id();
                present.add(id);
                ScrapeTarget t = targets.compute(id, (k, old) -> old != null && old.uri().equals(uri) ? old
                        : new ScrapeTarget(k, uri, nanoClock.getAsLong()));
                if (t.tryBegin()) {
                    scrape(t);
                }
            }
            targets.keySet().retainAll(present);
        } catch (RuntimeException e) {
            // The timer must survive anything a round throws, or scraping would silently stop for good.
            log.warn("pod metrics round failed: {}", e.toString());
        }
    }

    private void scrape(ScrapeTarget t) {
        BoundedBodySubscriber body = new BoundedBodySubscriber(MAX_BODY_BYTES);
        HttpRequest request = HttpRequest.newBuilder(t.uri()).timeout(Duration.ofMillis(timeoutMs))
                .header("Accept", ACCEPT).GET().build();
        CompletableFuture<HttpResponse<byte[]>> response;
        try {
            // Every status reads its body through the bound, so a slow error page is cut off like a slow page.
            response = client.sendAsync(request, info -> body);
        } catch (RuntimeException e) {
            t.end();
            failed(t, ScrapeFailure.IO, e.toString());
            return;
        }
        // The request timeout ends at the headers; this deadline covers the body too.
        ScheduledFuture<?> deadline = timer.schedule(() -> body.abort(
                new HttpTimeoutException("no complete answer within " + timeoutMs + " ms")),
                timeoutMs, TimeUnit.MILLISECONDS);
        // A last resort: the target must be released even if the client never completes the exchange.
        // Handled on our pool: the client's own completion hop may run on a fresh thread per call (JDK 17 on two
        // cores), where parsing a page does not belong.
        response.orTimeout(2 * timeoutMs + 1_000, TimeUnit.MILLISECONDS).whenCompleteAsync((r, error) -> {
            deadline.cancel(false);
            try {
                if (error != null) {
                    body.abort(error);
                    failed(t, ScrapeFailure.classify(error), describe(error));
                } else if (r.statusCode() != 200) {
                    failed(t, ScrapeFailure.HTTP_STATUS, "HTTP " + r.statusCode());
                } else {
                    succeeded(t, VllmLoadParser.parse(new String(r.body(), StandardCharsets.UTF_8)));
                }
            } catch (RuntimeException e) {
                log.warn("pod metrics from {} could not be handled: {}", t.uri(), e.toString());
            } finally {
                t.end();
            }
        }, httpPool);
    }

    private void succeeded(ScrapeTarget t, VllmLoadParser.Result result) {
        metrics.podMetricsScraped();
        for (String field : result.missing()) {
            metrics.podMetricMissing(field);
        }
        if (result.malformedLines() > 0) {
            metrics.podMetricsMalformedLines(result.malformedLines());
        }
        t.succeeded(result, nanoClock.getAsLong());
    }

    private void failed(ScrapeTarget t, ScrapeFailure reason, String detail) {
        metrics.podMetricsFailed(reason.tag());
        t.failed(reason, detail);
    }

    private static String describe(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return e.getMessage() == null ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        timer.shutdownNow();
        httpPool.shutdownNow();
    }
}
