package io.kvrelay.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Index freshness: for a sample of served requests whose pod published new blocks, the time from the publication
 * (just after the pod's PUB send returned) until stream-app's {@code /v1/prefix-match}, the query the router makes,
 * shows that pod holding the whole prompt. One probe at a time on its own thread, polling every
 * {@link #POLL_INTERVAL_MS} ms; a sample offered while a probe runs is skipped, so probing never queues up. The
 * resolution is the poll interval plus one query's round trip.
 */
final class FreshnessProbe implements AutoCloseable {
    static final long POLL_INTERVAL_MS = 2;
    private static final long TIMEOUT_MS = 2_000;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final URI prefixMatch;
    private final String namespace;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bench-freshness");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean busy = new AtomicBoolean();
    private final List<Double> millis = new ArrayList<>();
    private final AtomicInteger timeouts = new AtomicInteger();

    FreshnessProbe(int streamPort, String namespace) {
        this.prefixMatch = URI.create("http://127.0.0.1:" + streamPort + "/v1/prefix-match");
        this.namespace = namespace;
    }

    /**
     * Offers a publication: {@code pod} now holds the first {@code blocks} blocks of {@code r}'s prompt, published at
     * {@code publishedNanos}. Ignored while another probe runs.
     */
    void offer(BenchRequest r, String pod, int blocks, long publishedNanos) {
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        thread.execute(() -> {
            try {
                probe(r, pod, blocks, publishedNanos);
            } finally {
                busy.set(false);
            }
        });
    }

    private void probe(BenchRequest r, String pod, int blocks, long publishedNanos) {
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("namespace", namespace);
            body.put("service", r.service());
            body.put("tokens", r.tokens());
            body.put("pods", List.of(pod));
            HttpRequest req = HttpRequest.newBuilder(prefixMatch).timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build();
            long deadline = publishedNanos + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (System.nanoTime() < deadline) {
                HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                if (resp.statusCode() == 200 && matched(json.readTree(resp.body()), pod) >= blocks) {
                    synchronized (millis) {
                        millis.add((System.nanoTime() - publishedNanos) / 1e6);
                    }
                    return;
                }
                Thread.sleep(POLL_INTERVAL_MS);
            }
            timeouts.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            timeouts.incrementAndGet();
        }
    }

    private static int matched(JsonNode answer, String pod) {
        for (JsonNode w : answer.path("workers")) {
            String name = w.path("pod").asText();
            if (name.equals(pod) || name.endsWith("/" + pod)) {
                return w.path("matched").asInt();
            }
        }
        return 0;
    }

    /** Freshness of every completed probe, in ms. */
    List<Double> samples() {
        synchronized (millis) {
            return List.copyOf(millis);
        }
    }

    int timeouts() {
        return timeouts.get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
