package io.kvrelay.router.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.schemas.BlockKeyHex;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.HttpResponseException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * stream-app's query API as the router uses it. Prefix matches fan out to every instance ({@code scope=local}), in
 * parallel, under one deadline, and merge: one hop, and no instance merges for others. The instance list comes from
 * {@code /v1/instances} of any configured seed and is re-read whenever an answer does not cover every partition.
 * Blocking Apache HttpClient calls on pooled keep-alive connections: the JDK's async HttpClient handed every call
 * between three threads and cost about a third of the router's CPU per request. Thread-safe.
 */
public final class StreamAppClient implements io.kvrelay.router.state.PodSource, AutoCloseable {
    private static final String PREFIX_MATCH = "/v1/prefix-match?scope=local";
    /** Per stream-app instance: one per router request thread is plenty. */
    private static final int MAX_CONNECTIONS = 64;

    private final List<String> seeds;
    private final Duration deadline;
    /** For pod-state reads and discovery: off the request path, so they may wait longer than a fan-out. */
    private final Duration stateDeadline;
    private final CloseableHttpClient http;
    private final ExecutorService fanOut;
    private final ObjectMapper json = new ObjectMapper();
    private volatile List<Instance> instances = List.of();

    /** One stream-app instance and the event-log partitions it serves. */
    public record Instance(String baseUrl, List<Integer> partitions, URI prefixMatch) {
        public Instance(String baseUrl, List<Integer> partitions) {
            // Parsed once: URI parsing per request showed up in the router's profile.
            this(baseUrl, List.copyOf(partitions), URI.create(baseUrl + PREFIX_MATCH));
        }
    }

    /**
     * Per pod (all its DP ranks: the best rank counts, per figure) the longest matched prefix in any tier, on GPU, and
     * in memory (GPU or CPU): {@code {matched, gpuMatched, memoryMatched}}.
     */
    public record Matches(Map<String, int[]> byPod) {
        public int matched(String pod) {
            int[] m = byPod.get(pod);
            return m == null ? 0 : m[0];
        }

        public int gpuMatched(String pod) {
            int[] m = byPod.get(pod);
            return m == null ? 0 : m[1];
        }

        public int memoryMatched(String pod) {
            int[] m = byPod.get(pod);
            return m == null ? 0 : m.length > 2 ? m[2] : m[0];
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
        PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(MAX_CONNECTIONS).setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(stateDeadline))
                        .setTimeToLive(TimeValue.ofMinutes(5)).build())
                .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
                .build();
        this.http = HttpClients.custom().setConnectionManager(pool).disableAutomaticRetries()
                .disableCookieManagement().disableRedirectHandling().disableContentCompression()
                .evictIdleConnections(TimeValue.ofSeconds(30)).build();
        this.fanOut = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "stream-app-fan-out");
            t.setDaemon(true);
            return t;
        });
    }

    public Matches prefixMatch(String namespace, String service, long[] keys) throws Unavailable {
        return prefixMatch(namespace, service, keys, deadline);
    }

    /** The same with this call's own deadline (at least the configured one, for long prompts). */
    public Matches prefixMatch(String namespace, String service, long[] keys, Duration deadline) throws Unavailable {
        List<Instance> known = instances.isEmpty() ? discover() : instances;
        try {
            return prefixMatch(known, namespace, service, keys, deadline);
        } catch (Unavailable e) {
            // The instance set may have changed (scale-out, fail-over): the next request looks again. Not this one:
            // a second round would double its latency, and the decision goes on without the index meanwhile.
            instances = List.of();
            throw e;
        }
    }

    private Matches prefixMatch(List<Instance> known, String ns, String service, long[] keys, Duration deadline)
            throws Unavailable {
        StringBuilder body = new StringBuilder(64 + keys.length * 19);
        body.append("{\"namespace\":").append(quote(ns)).append(",\"service\":").append(quote(service))
                .append(",\"keys\":[");
        for (int i = 0; i < keys.length; i++) {
            BlockKeyHex.append(body.append(i == 0 ? "\"" : ",\""), keys[i]).append('"');
        }
        byte[] bytes = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        long until = System.nanoTime() + deadline.toNanos();
        // Every instance but the last on the fan-out pool, the last on this thread: with one instance (the common
        // case) no thread hand-off at all.
        List<Future<byte[]>> others = new ArrayList<>();
        for (int c = 0; c < known.size() - 1; c++) {
            URI uri = known.get(c).prefixMatch();
            others.add(fanOut.submit(() -> post(uri, bytes, until)));
        }
        Instance last = known.get(known.size() - 1);
        List<JsonNode> answers = new ArrayList<>(known.size());
        answers.add(parse(post(last.prefixMatch(), bytes, until), last.baseUrl()));
        for (int c = 0; c < others.size(); c++) {
            answers.add(parse(await(others.get(c), until, known.get(c).baseUrl()), known.get(c).baseUrl()));
        }
        Map<String, int[]> byPod = new HashMap<>();
        Set<Integer> answered = new TreeSet<>();
        Set<Integer> expected = new TreeSet<>();
        known.forEach(i -> expected.addAll(i.partitions()));
        for (JsonNode r : answers) {
            r.path("partitions").forEach(p -> answered.add(p.asInt()));
            for (JsonNode w : r.path("workers")) {
                int[] m = byPod.computeIfAbsent(w.path("pod").asText(), k -> new int[3]);
                int matched = w.path("matched").asInt();
                m[0] = Math.max(m[0], matched);
                m[1] = Math.max(m[1], w.path("gpuMatched").asInt());
                // An instance older than the STORAGE tier sends no memoryMatched: all its matches were in memory.
                m[2] = Math.max(m[2], w.path("memoryMatched").asInt(matched));
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
                JsonNode r = parse(get(seed + "/v1/services/" + namespace + "/" + service + "/pods",
                        System.nanoTime() + stateDeadline.toNanos()), seed);
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
                JsonNode r = parse(get(seed + "/v1/instances", System.nanoTime() + stateDeadline.toNanos()), seed);
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

    private byte[] post(URI uri, byte[] body, long untilNanos) throws Unavailable {
        HttpPost post = new HttpPost(uri);
        post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
        return execute(post, untilNanos);
    }

    private byte[] get(String url, long untilNanos) throws Unavailable {
        return execute(new HttpGet(url), untilNanos);
    }

    /** One blocking exchange on a pooled keep-alive connection, bounded by what is left of the deadline. */
    private byte[] execute(HttpUriRequestBase request, long untilNanos) throws Unavailable {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
        if (leftMs <= 0) {
            throw new Unavailable(request.getRequestUri() + ": deadline passed before the call");
        }
        request.setConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMilliseconds(leftMs))
                .setConnectionRequestTimeout(Timeout.ofMilliseconds(leftMs)).build());
        try {
            return http.execute(request, response -> {
                byte[] b = response.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(response.getEntity());
                if (response.getCode() != 200) {
                    throw new HttpResponseException(response.getCode(), "answered " + response.getCode());
                }
                return b;
            });
        } catch (IOException e) {
            throw new Unavailable(request.getRequestUri() + ": " + e);
        }
    }

    private static byte[] await(Future<byte[]> call, long untilNanos, String who) throws Unavailable {
        try {
            return call.get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Unavailable u ? u : new Unavailable(who + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        } catch (java.util.concurrent.TimeoutException e) {
            call.cancel(true);
            throw new Unavailable(who + ": no answer within the deadline");
        }
    }

    private JsonNode parse(byte[] body, String who) throws Unavailable {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new Unavailable(who + " answered invalid JSON: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        fanOut.shutdownNow();
        try {
            http.close();
        } catch (IOException e) {
            // closing pooled connections
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
                p.hasNonNull("blockSize") ? p.path("blockSize").asInt() : null, p.path("blocksHeld").asLong(),
                p.path("stale").asBoolean(), p.path("suspect").asBoolean());
    }

    private String quote(String s) {
        try {
            return json.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
