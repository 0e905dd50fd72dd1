package io.kvrelay.bench.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.stream.StreamAppMain;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.ChildJvm;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * kill -9 and restart of a stream-app in a child JVM: it first applies every entry of the event log (a new
 * application id), answers the sample prompts; then SIGKILL, and at once a new JVM with the same application id,
 * port, group instance id and state directory. Measured: kill → every sample prompt answered as before (and start →
 * the same), the new JVM's CPU time until then (utime + stime), the changelog records it restored, the load average.
 */
final class KillRestart {
    /** How a variant runs: static membership or not, RocksDB stores in a surviving state directory or not. */
    enum Variant {
        STATIC(true, false, false), STATIC_PERSISTENT(true, true, false), DYNAMIC(false, false, false),
        /** For comparison: a graceful stop (SIGTERM: the stores closed, the group left) and a start. */
        STATIC_PERSISTENT_SIGTERM(true, true, true);

        final boolean staticMember;
        final boolean persistent;
        final boolean graceful;

        Variant(boolean staticMember, boolean persistent, boolean graceful) {
            this.staticMember = staticMember;
            this.persistent = persistent;
            this.graceful = graceful;
        }

        static Variant parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static final String BENCH_NS = "bench";
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final String bootstrap;
    private final String prefix;
    private final Path dir;
    private final long sessionTimeoutMs;

    KillRestart(String bootstrap, String prefix, Path dir, long sessionTimeoutMs) {
        this.bootstrap = bootstrap;
        this.prefix = prefix;
        this.dir = dir;
        this.sessionTimeoutMs = sessionTimeoutMs;
    }

    /** Runs one variant over the event log already in {@code prefix}'s topic, which holds {@code entries}. */
    void run(Variant v, long entries, List<int[]> samplePrompts, int blockSize) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("applicationId", prefix + "-restart-" + v.label());
        cfg.put("bootstrapServers", bootstrap);
        cfg.put("topicPrefix", prefix);
        cfg.put("stateDir", dir.resolve("state-restart-" + v.label()).toString());
        cfg.put("httpPort", port);
        cfg.put("heartbeatTtlMs", 3_600_000);
        cfg.put("persistentState", v.persistent);
        cfg.put("sessionTimeoutMs", sessionTimeoutMs);
        if (v.staticMember) {
            cfg.put("groupInstanceId", "bench-stream-0");
        }
        // What stream-app makes of these settings (defaults filled in), for the report.
        StreamAppConfig effective = StreamAppConfig.local(bootstrap, dir).withRestart(null, sessionTimeoutMs, false);
        Path config = dir.resolve("stream-restart-" + v.label() + ".json");
        Files.writeString(config, json.writeValueAsString(cfg));
        List<String> bodies = new ArrayList<>();
        for (int[] p : samplePrompts) {
            List<String> hex = new ArrayList<>();
            for (long k : BlockKeys.chain(p, blockSize, null)) {
                hex.add(String.format("%016x", k));
            }
            bodies.add(json.writeValueAsString(Map.of("namespace", BENCH_NS, "service", "svc", "keys", hex)));
        }
        ChildJvm first = start(config, v, "first");
        AtomicReference<List<JsonNode>> answered = new AtomicReference<>();
        try {
            StreamHarness.await(() -> indexEntries(port) >= entries, 900_000, v.label() + ": all entries indexed");
            StreamHarness.await(() -> answered.compareAndSet(null, answers(port, bodies)) && answered.get() != null,
                    60_000, v.label() + ": the sample prompts answered");
        } catch (RuntimeException | InterruptedException e) {
            first.close();
            throw e;
        }
        List<JsonNode> before = answered.get();
        long full = before.stream().filter(a -> a.path("workers").path(0).path("matched").asInt() * blockSize
                == samplePrompts.get(0).length).count();
        String loadBefore = ChildJvm.loadAverage();
        long killedAt = System.nanoTime(); // for a graceful stop, the stop's start
        if (v.graceful) {
            first.stop(Duration.ofSeconds(60));
        } else {
            first.kill();
        }
        long startedAt = System.nanoTime();
        try (ChildJvm second = start(config, v, "restarted")) {
            // The same answers, and the whole index back: a kill can lose the changelog's last writes, which the
            // restarted instance then applies again from the event log; until it has, the index is short.
            StreamHarness.await(() -> before.equals(answers(port, bodies)) && indexEntries(port) >= entries, 600_000,
                    v.label() + ": the same answers and every entry after the restart");
            long answeredAt = System.nanoTime();
            Duration cpu = second.cpuTime();
            double restored = metric(port, "kvrelay_stream_changelog_restored_records_total");
            System.out.printf(Locale.ROOT, "%s + restart (%s: %s membership, %s stores, session timeout %d s): "
                            + "%,d entries; stop -> answering %.2f s (start -> answering %.2f s), CPU of the new JVM "
                            + "until then %.2f s, changelog records restored %,.0f; %d sample prompts answered as "
                            + "before (%d of them matched whole by their pod); load average %s before, %s after%n",
                    v.graceful ? "SIGTERM" : "kill -9", v.label(), v.staticMember ? "static" : "dynamic",
                    v.persistent ? "RocksDB" : "in-memory",
                    effective.sessionTimeoutMs() / 1000, indexEntries(port), (answeredAt - killedAt) / 1e9,
                    (answeredAt - startedAt) / 1e9, cpu.toMillis() / 1e3, restored, samplePrompts.size(),
                    full, loadBefore, ChildJvm.loadAverage());
        }
    }

    private ChildJvm start(Path config, Variant v, String name) {
        return ChildJvm.start(StreamAppMain.class.getName(), List.of("-Xmx2g"), List.of("--config", config.toString()),
                dir.resolve("stream-restart-" + v.label() + "-" + name + ".log"));
    }

    /** The answers to every body, or null while any is not a 200. */
    private List<JsonNode> answers(int port, List<String> bodies) {
        List<JsonNode> out = new ArrayList<>(bodies.size());
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/prefix-match");
        try {
            for (String b : bodies) {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(b)).build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    return null;
                }
                out.add(json.readTree(r.body()));
            }
            return out;
        } catch (java.io.IOException e) {
            return null; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Entries in the child's index: the sum of its per-partition gauges, -1 while it does not answer. */
    private long indexEntries(int port) {
        double n = metric(port, "kvrelay_stream_index_entries");
        return Double.isNaN(n) ? -1 : (long) n;
    }

    /** The sum of a metric's series on the child's /metrics (NaN series skipped); NaN while it does not answer. */
    private double metric(int port, String name) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/metrics")).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Double.NaN;
            }
            double sum = 0;
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                    double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    sum += Double.isNaN(v) ? 0 : v;
                }
            }
            return sum;
        } catch (java.io.IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }
}
