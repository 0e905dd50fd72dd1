package io.kvrelay.router.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.state.PodInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * stream-app's query API as the router uses it. Prefix matches fan out to every instance ({@code scope=local}), in
 * parallel, under one deadline, and merge: one hop, and no instance merges for others. The instance list comes from
 * {@code /v1/instances} of any configured seed and is re-read whenever an answer does not cover every partition.
 * Thread-safe.
 */
public final class StreamAppClient implements io.kvrelay.router.state.PodSource {
    private final List<String> seeds;
    private final Duration deadline;
    /** For pod-state reads and discovery: off the request path, so they may wait longer than a fan-out. */
    private final Duration stateDeadline;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private volatile List<Instance> instances = List.of();

    /** One stream-app instance and the event-log partitions it serves. */
    public record Instance(String baseUrl, List<Integer> partitions) {
    }

    /** Per pod (all its DP ranks: the best rank counts) the longest matched prefix, and on GPU. */
    public record Matches(Map<String, int[]> byPod) {
        public int matched(String pod) {
            int[] m = byPod.get(pod);
            return m == null ? 0 : m[0];
        }

        public int gpuMatched(String pod) {
            int[] m = byPod.get(pod);
            return m == null ? 0 : m[1];
        }
    }

    /** Raised when stream-app cannot give a complete answer in time; the router then decides without the index. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }

    public StreamAppClient(List<String> seeds, Duration deadline, Duration stateDeadline) {
        if (seeds == null || seeds.isEmpty()) {
            throw new IllegalArgumentException("streamApp.urls needs at least one stream-app URL");
        }
        this.seeds = List.copyOf(seeds);
        this.deadline = deadline;
        this.stateDeadline = stateDeadline;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(stateDeadline)
                .build();
    }

    public Matches prefixMatch(String namespace, String service, long[] keys) throws Unavailable {
        List<Instance> known = instances.isEmpty() ? discover() : instances;
        try {
            return prefixMatch(known, namespace, service, keys);
        } catch (Unavailable e) {
            // The instance set may have changed (scale-out, fail-over): the next request looks again. Not this one:
            // a second round would double its latency, and the decision goes on without the index meanwhile.
            instances = List.of();
            throw e;
        }
    }

    private Matches prefixMatch(List<Instance> known, String ns, String service, long[] keys) throws Unavailable {
        StringBuilder body = new StringBuilder(64 + keys.length * 19);
        body.append("{\"namespace\":").append(quote(ns)).append(",\"service\":").append(quote(service))
                .append(",\"keys\":[");
        for (int i = 0; i < keys.length; i++) {
            body.append(i == 0 ? "\"" : ",\"").append(String.format("%016x", keys[i])).append('"');
        }
        body.append("]}");
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (Instance i : known) {
            calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(i.baseUrl() + "/v1/prefix-match?scope=local"))
                    .timeout(deadline).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        Map<String, int[]> byPod = new HashMap<>();
        Set<Integer> answered = new TreeSet<>();
        Set<Integer> expected = new TreeSet<>();
        known.forEach(i -> expected.addAll(i.partitions()));
        long until = System.nanoTime() + deadline.toNanos();
        for (int c = 0; c < calls.size(); c++) {
            JsonNode r = read(calls.get(c), until, known.get(c).baseUrl());
            r.path("partitions").forEach(p -> answered.add(p.asInt()));
            for (JsonNode w : r.path("workers")) {
                int[] m = byPod.computeIfAbsent(w.path("pod").asText(), k -> new int[2]);
                m[0] = Math.max(m[0], w.path("matched").asInt());
                m[1] = Math.max(m[1], w.path("gpuMatched").asInt());
            }
        }
        if (expected.isEmpty() || !answered.equals(expected)) {
            throw new Unavailable("stream-app answered partitions " + answered + " of " + expected);
        }
        return new Matches(byPod);
    }

    /** Every pod of a service with its state, from any instance (it merges). */
    @Override
    public List<PodInfo> pods(String namespace, String service) throws Unavailable {
        Unavailable last = null;
        for (String seed : seedsAndInstances()) {
            try {
                JsonNode r = read(http.sendAsync(HttpRequest.newBuilder(URI.create(seed + "/v1/services/"
                                + namespace + "/" + service + "/pods")).timeout(stateDeadline).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray()), System.nanoTime() + stateDeadline.toNanos(), seed);
                List<PodInfo> out = new ArrayList<>();
                for (JsonNode p : r.path("pods")) {
                    out.add(podInfo(p));
                }
                return out;
            } catch (Unavailable e) {
                last = e;
            }
        }
        throw last;
    }

    private List<String> seedsAndInstances() {
        List<String> all = new ArrayList<>();
        instances.forEach(i -> all.add(i.baseUrl()));
        for (String s : seeds) {
            if (!all.contains(s)) {
                all.add(s);
            }
        }
        return all;
    }

    private List<Instance> discover() throws Unavailable {
        Unavailable last = new Unavailable("no stream-app URL answered");
        for (String seed : seedsAndInstances()) {
            try {
                JsonNode r = read(http.sendAsync(HttpRequest.newBuilder(URI.create(seed + "/v1/instances"))
                                .timeout(stateDeadline).GET().build(), HttpResponse.BodyHandlers.ofByteArray()),
                        System.nanoTime() + stateDeadline.toNanos(), seed);
                List<Instance> found = new ArrayList<>();
                for (JsonNode i : r.path("instances")) {
                    String host = i.path("host").asText();
                    String url = "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
                            + i.path("port").asInt();
                    List<Integer> parts = new ArrayList<>();
                    i.path("activePartitions").forEach(p -> parts.add(p.asInt()));
                    found.add(new Instance(url, parts));
                }
                if (!found.isEmpty()) {
                    instances = List.copyOf(found);
                    return instances;
                }
            } catch (Unavailable e) {
                last = e;
            }
        }
        throw last;
    }

    private JsonNode read(CompletableFuture<HttpResponse<byte[]>> call, long untilNanos, String who)
            throws Unavailable {
        try {
            HttpResponse<byte[]> r = call.get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (r.statusCode() != 200) {
                throw new Unavailable(who + " answered " + r.statusCode());
            }
            return json.readTree(r.body());
        } catch (Unavailable e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        } catch (Exception e) {
            call.cancel(true);
            throw new Unavailable(who + ": " + e);
        }
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
                p.hasNonNull("blockSize") ? p.path("blockSize").asInt() : null, p.path("blocksHeld").asLong());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
