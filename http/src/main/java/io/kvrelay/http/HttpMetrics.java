package io.kvrelay.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Requests served, by route: {@code http_server_requests_seconds{method, uri, status, outcome}}, with {@code uri} the
 * route's pattern ({@code /v1/services/{ns}/{service}/pods}), never the path a client sent (unbounded), and
 * {@code UNMATCHED} for requests no route took (404, 405, malformed). Recorded when the answer is written, from the
 * request's first byte. Timers are looked up by route and status without building a key per request: this runs on
 * every request of the router's hot path.
 */
final class HttpMetrics {
    static final HttpMetrics NONE = new HttpMetrics(null);
    private static final String UNMATCHED = "UNMATCHED";

    private final MeterRegistry registry;
    /** Route (identity) → timers by status - 100. */
    private final Map<Object, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String method, Routes.Route route, int status, long nanos) {
        if (registry == null || status < 100 || status > 599) {
            return;
        }
        Object key = route == null ? method : route;
        AtomicReferenceArray<Timer> byStatus = timers.computeIfAbsent(key, k -> new AtomicReferenceArray<>(500));
        Timer t = byStatus.get(status - 100);
        if (t == null) {
            t = Timer.builder("http.server.requests").description("HTTP requests answered, by route and status")
                    .tag("method", route == null ? method : route.method())
                    .tag("uri", route == null ? UNMATCHED : route.pattern())
                    .tag("status", Integer.toString(status))
                    .tag("outcome", status < 400 ? "SUCCESS" : status < 500 ? "CLIENT_ERROR" : "SERVER_ERROR")
                    .register(registry);
            byStatus.set(status - 100, t);
        }
        t.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
