package io.kvrelay.launcher.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the demo's clients saw: requests, failures, prompt blocks and how many of them the chosen pod had cached (the
 * KV-cache hit rate), sticky answers, and the router's latency as the client measured it. Thread-safe; interval
 * figures are taken (and reset) by {@link #takeInterval()}, totals kept for the summary.
 */
public final class DemoStats {
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong promptBlocks = new AtomicLong();
    private final AtomicLong cachedBlocks = new AtomicLong();
    private final AtomicLong sticky = new AtomicLong();
    private final List<Long> latencies = new ArrayList<>();
    private final List<Long> allLatencies = new ArrayList<>();
    private final Map<String, LongAdder> perPod = new ConcurrentHashMap<>();
    private volatile String lastFailure;
    private long lastRequests;
    private long lastPromptBlocks;
    private long lastCachedBlocks;

    /** One interval (or the whole run): rates and percentiles over it. */
    public record Window(long requests, long failures, double hitRate, double stickyShare, double p50Ms, double p99Ms) {
    }

    void served(String pod, long ttftNanos, int prompt, int cached, boolean wasSticky) {
        requests.incrementAndGet();
        perPod.computeIfAbsent(pod, k -> new LongAdder()).increment();
        promptBlocks.addAndGet(prompt);
        cachedBlocks.addAndGet(cached);
        if (wasSticky) {
            sticky.incrementAndGet();
        }
        synchronized (latencies) {
            latencies.add(ttftNanos);
        }
    }

    void failed(String why) {
        failures.incrementAndGet();
        lastFailure = why;
    }

    /** Requests served per pod, by pod name. */
    public Map<String, Long> perPod() {
        Map<String, Long> out = new TreeMap<>();
        perPod.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public String lastFailure() {
        return lastFailure;
    }

    /** The interval since the previous call. */
    public synchronized Window takeInterval() {
        List<Long> lat;
        synchronized (latencies) {
            lat = new ArrayList<>(latencies);
            latencies.clear();
        }
        allLatencies.addAll(lat);
        long r = requests.get();
        long p = promptBlocks.get();
        long c = cachedBlocks.get();
        Window w = new Window(r - lastRequests, failures.get(), ratio(c - lastCachedBlocks, p - lastPromptBlocks),
                Double.NaN, pct(lat, 0.5), pct(lat, 0.99));
        lastRequests = r;
        lastPromptBlocks = p;
        lastCachedBlocks = c;
        return w;
    }

    /** The whole run (call after the last {@link #takeInterval()}). */
    public synchronized Window total() {
        return new Window(requests.get(), failures.get(), ratio(cachedBlocks.get(), promptBlocks.get()),
                ratio(sticky.get(), requests.get()), pct(allLatencies, 0.5), pct(allLatencies, 0.99));
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    private static double pct(List<Long> nanos, double p) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }
}
