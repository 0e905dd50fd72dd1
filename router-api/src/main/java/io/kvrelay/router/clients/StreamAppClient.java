package io.kvrelay.router.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.frames.FrameException;
import io.kvrelay.http.frames.FramedClient;
import io.kvrelay.router.decide.PrefixIndex;
import io.kvrelay.router.decide.PrefixMatches;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.PodSource;
import io.kvrelay.schemas.rpc.PrefixMatchRpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * stream-app as the router uses it. Prefix matches go over the binary API ({@link PrefixMatchRpc} in framed calls,
 * {@link FramedClient}): to every instance in parallel, each answering for its own partitions, under one deadline,
 * merged here. A call made on one of the router's HTTP event loops goes out on that loop's own connection and its
 * answer completes there, so a decision does not change threads for the index. The instance list (and each one's
 * index port) comes from {@code /v1/instances} and is
 * read again, in the background, whenever an answer does not cover every partition. Pod state and discovery use the
 * JSON API with blocking calls on pooled keep-alive connections: they run off the request path. Thread-safe.
 */
public final class StreamAppClient implements io.kvrelay.router.state.PodSource, PrefixIndex, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamAppClient.class);

    private final List<String> seeds;
    private final Duration deadline;
    /** For pod-state reads and discovery: off the request path, so they may wait longer than a fan-out. */
    private final Duration stateDeadline;
    private final HttpClient http;
    private final ExecutorService discovery;
    private final ObjectMapper json = new ObjectMapper();
    private volatile Known known = Known.NONE;
    private final AtomicBoolean discovering = new AtomicBoolean();
    private final FramedClient frames;

    /**
     * One stream-app instance, the event-log partitions it serves, and where its binary API listens (port 0: none
     * known). {@code expected} is the union of every known instance's partitions, computed once per discovery.
     */
    public record Instance(String baseUrl, List<Integer> partitions, String host, int indexPort) {
    }

    /** The instances as last discovered, and the partitions their answers must cover together. */
    private record Known(List<Instance> instances, Set<Integer> expected) {
        static final Known NONE = new Known(List.of(), Set.of());
    }

    /** @param frames calls to the binary API; its connections live on the loops it was given (the router's own) */
    public StreamAppClient(List<String> seeds, Duration deadline, Duration stateDeadline, FramedClient frames) {
        if (seeds == null || seeds.isEmpty()) {
            throw new IllegalArgumentException("streamApp.urls needs at least one stream-app URL");
        }
        this.seeds = List.copyOf(seeds);
        this.frames = frames;
        this.deadline = deadline;
        this.stateDeadline = stateDeadline;
        // The JDK's client keeps connections alive and pools them per host; these calls are off the request path.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(stateDeadline)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.discovery = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stream-app-discovery");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Whether stream-app has been reached: its instances are known. Once they are, the router serves on (pod state
     * cached, stale by design) through a later outage of stream-app.
     */
    public boolean connected() {
        return !known.instances().isEmpty();
    }

    /** Reads the instance list now, so the first request finds it (a failure is retried in the background). */
    public StreamAppClient start() {
        try {
            discover();
        } catch (PodSource.Unavailable e) {
            log.warn("stream-app not reachable yet ({}); decisions go without the index until it is", e.getMessage());
        }
        return this;
    }

    @Override
    public CompletableFuture<PrefixMatches> prefixMatch(String namespace, String service, long[] keys,
                                                        Duration deadline) {
        Known known = this.known;
        if (known.instances().isEmpty()) {
            rediscover();
            return CompletableFuture.failedFuture(new PrefixIndex.Unavailable("no stream-app instance known yet"));
        }
        byte[] req = PrefixMatchRpc.encode(new PrefixMatchRpc.Request(namespace, service, keys));
        long nanos = deadline.toNanos();
        List<CompletableFuture<PrefixMatchRpc.Response>> calls = new ArrayList<>(known.instances().size());
        for (Instance i : known.instances()) {
            calls.add(call(i, req, nanos));
        }
        CompletableFuture<PrefixMatches> merged = calls.size() == 1
                ? calls.get(0).thenApply(r -> merge(known, List.of(r)))
                : CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .thenApply(v -> merge(known, calls.stream().map(CompletableFuture::join).toList()));
        return merged.whenComplete((m, e) -> {
            if (e != null) {
                // The instance set may have changed (scale-out, fail-over): look again, off this path.
                rediscover();
            }
        });
    }

    private CompletableFuture<PrefixMatchRpc.Response> call(Instance i, byte[] req, long deadlineNanos) {
        if (i.indexPort() <= 0) {
            return CompletableFuture.failedFuture(new PrefixIndex.Unavailable(i.baseUrl()
                    + " has no binary prefix-match API (a stream-app older than the router?)"));
        }
        // Completes on the connection's event loop: decoded there, no hop. Its failures say which instance failed.
        return frames.call(i.host(), i.indexPort(), PrefixMatchRpc.METHOD, req, deadlineNanos).handle((b, e) -> {
            if (e != null) {
                Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                throw new PrefixIndex.Unavailable(i.baseUrl() + ": " + (c instanceof FrameException ? c.getMessage()
                        : c.toString()));
            }
            return PrefixMatchRpc.decodeResponse(b);
        });
    }

    private static PrefixMatches merge(Known known, List<PrefixMatchRpc.Response> answers) {
        Map<String, int[]> byPod = new HashMap<>();
        Set<Integer> answered = new TreeSet<>();
        Set<Integer> expected = known.expected();
        for (PrefixMatchRpc.Response r : answers) {
            for (int p : r.partitions()) {
                answered.add(p);
            }
            for (PrefixMatchRpc.PodMatch w : r.pods()) {
                int[] m = byPod.get(w.pod());
                if (m == null) {
                    byPod.put(w.pod(), new int[] {w.matched(), w.gpuMatched(), w.memoryMatched()});
                } else {
                    m[0] = Math.max(m[0], w.matched());
                    m[1] = Math.max(m[1], w.gpuMatched());
                    m[2] = Math.max(m[2], w.memoryMatched());
                }
            }
        }
        if (expected.isEmpty() || !answered.equals(expected)) {
            throw new PrefixIndex.Unavailable("stream-app answered partitions " + answered + " of " + expected);
        }
        return new PrefixMatches(byPod);
    }

    private void rediscover() {
        if (discovering.compareAndSet(false, true)) {
            try {
                discovery.execute(() -> {
                    try {
                        discover();
                    } catch (PodSource.Unavailable e) {
                        log.debug("stream-app discovery failed: {}", e.getMessage());
                    } finally {
                        discovering.set(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                discovering.set(false);
            }
        }
    }

    /** Every pod of a service with its state, from any instance (it merges). */
    @Override
    public List<PodInfo> pods(String namespace, String service) throws PodSource.Unavailable {
        PodSource.Unavailable last = null;
        for (String seed : seedsAndInstances()) {
            try {
                JsonNode r = parse(get(seed + "/v1/services/" + namespace + "/" + service + "/pods",
                        System.nanoTime() + stateDeadline.toNanos()), seed);
                List<PodInfo> out = new ArrayList<>();
                for (JsonNode p : r.path("pods")) {
                    out.add(podInfo(p));
                }
                return out;
            } catch (PodSource.Unavailable e) {
                last = e;
            }
        }
        throw last;
    }

    private List<String> seedsAndInstances() {
        List<String> all = new ArrayList<>();
        known.instances().forEach(i -> all.add(i.baseUrl()));
        for (String s : seeds) {
            if (!all.contains(s)) {
                all.add(s);
            }
        }
        return all;
    }

    private List<Instance> discover() throws PodSource.Unavailable {
        PodSource.Unavailable last = new PodSource.Unavailable("no stream-app URL answered");
        for (String seed : seedsAndInstances()) {
            try {
                JsonNode r = parse(get(seed + "/v1/instances", System.nanoTime() + stateDeadline.toNanos()), seed);
                List<Instance> found = new ArrayList<>();
                for (JsonNode i : r.path("instances")) {
                    String host = i.path("host").asText();
                    String url = "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
                            + i.path("port").asInt();
                    List<Integer> parts = new ArrayList<>();
                    i.path("activePartitions").forEach(p -> parts.add(p.asInt()));
                    // Each instance knows its own index port only: the seed's answer has it for the seed alone.
                    int indexPort = i.path("self").asBoolean() ? i.path("indexPort").asInt(0) : indexPortOf(url);
                    found.add(new Instance(url, List.copyOf(parts), host, indexPort));
                }
                if (!found.isEmpty()) {
                    Set<Integer> expected = new TreeSet<>();
                    found.forEach(i -> expected.addAll(i.partitions()));
                    known = new Known(List.copyOf(found), Set.copyOf(expected));
                    return known.instances();
                }
            } catch (PodSource.Unavailable e) {
                last = e;
            }
        }
        throw last;
    }

    private int indexPortOf(String url) {
        try {
            JsonNode r = parse(get(url + "/v1/instances", System.nanoTime() + stateDeadline.toNanos()), url);
            for (JsonNode i : r.path("instances")) {
                if (i.path("self").asBoolean()) {
                    return i.path("indexPort").asInt(0);
                }
            }
        } catch (PodSource.Unavailable e) {
            log.debug("{} did not say its index port: {}", url, e.getMessage());
        }
        return 0;
    }

    /** One blocking exchange on a pooled keep-alive connection, bounded by what is left of the deadline. */
    private byte[] get(String url, long untilNanos) throws PodSource.Unavailable {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
        if (leftMs <= 0) {
            throw new PodSource.Unavailable(url + ": deadline passed before the call");
        }
        try {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMillis(leftMs)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new PodSource.Unavailable(url + ": answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException | IllegalArgumentException e) {
            throw new PodSource.Unavailable(url + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PodSource.Unavailable(url + ": interrupted");
        }
    }

    private JsonNode parse(byte[] body, String who) throws PodSource.Unavailable {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new PodSource.Unavailable(who + " answered invalid JSON: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        discovery.shutdownNow();
        frames.close();
        // java.net.http.HttpClient has close() only from Java 21: its idle connections end with the selector thread,
        // which stops once the client is unreachable.
    }

    static PodInfo podInfo(JsonNode p) {
        JsonNode load = p.path("load");
        return new PodInfo(p.path("namespace").asText(), p.path("service").asText(), p.path("pod").asText(),
                p.hasNonNull("podIndex") ? p.path("podIndex").asInt() : null,
                p.hasNonNull("address") ? p.path("address").asText() : null, p.path("alive").asBoolean(),
                p.path("routable").asBoolean(), p.path("draining").asBoolean(),
                load.hasNonNull("running") ? load.path("running").asInt() : null,
                load.hasNonNull("waiting") ? load.path("waiting").asInt() : null,
                load.hasNonNull("kvCacheUsage") ? load.path("kvCacheUsage").asDouble() : null,
                p.hasNonNull("blockSize") ? p.path("blockSize").asInt() : null, p.path("blocksHeld").asLong(),
                p.path("stale").asBoolean(), p.path("suspect").asBoolean());
    }
}
