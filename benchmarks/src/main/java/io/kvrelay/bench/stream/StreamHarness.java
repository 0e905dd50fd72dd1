package io.kvrelay.bench.stream;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaProcess;
import io.kvrelay.testkit.TestProducers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * stream-app on a real broker (a child JVM), three measurements in one run:
 * <ol>
 *   <li><b>apply rate</b>: {@code --entries} (block, worker) entries produced as KvEventBatch records (4 events x 4
 *       blocks of 16 tokens, chained per worker, 64 workers); time from the first send until the index holds them
 *       all: blocks/s through Kafka Streams, changelog writes included.</li>
 *   <li><b>freshness</b>: {@code --probes} single-block events, one at a time; for each, the time from the record's
 *       send (which sets its Kafka timestamp) until a prefix-match query over HTTP to this instance sees the block.</li>
 *   <li><b>restore</b>: the instance stops; a new one with empty local state starts and restores every store from
 *       its changelog, then rebuilds the in-memory index: time from start until it is healthy with every entry.</li>
 *   <li><b>kill -9 + restart</b> ({@code --restart}, {@link KillRestart}): per variant a stream-app in a child JVM
 *       applies the same event log, is killed with SIGKILL and started again as the same instance: time until it
 *       answers {@code --samples} prompts exactly as before, with its CPU time and the load average.</li>
 * </ol>
 */
@Command(name = "stream-harness", mixinStandardHelpOptions = true,
        description = "stream-app apply rate, freshness (append -> visible to a query) and restore time")
public final class StreamHarness implements Callable<Integer> {
    private static final int BS = 16;
    private static final int WORKERS = 64;

    @Option(names = "--entries", defaultValue = "1000000", description = "(block, worker) entries to load")
    int entries;

    @Option(names = "--probes", defaultValue = "1000", description = "freshness probes")
    int probes;

    @Option(names = "--persistent", description = "RocksDB stores instead of in-memory ones")
    boolean persistent;

    @Option(names = "--restart", split = ",", description = "kill -9 + restart variants to measure, in child JVMs: "
            + "static (static membership, in-memory stores), static-persistent (and RocksDB stores in a state "
            + "directory that survives), dynamic (dynamic membership, in-memory: waits out the session timeout), "
            + "static-persistent-sigterm (a graceful stop instead of the kill, for comparison)")
    List<String> restart = List.of();

    @Option(names = "--samples", defaultValue = "200", description = "prompts asked before the kill and after the "
            + "restart (each answer must be the same)")
    int samples;

    @Option(names = "--session-timeout-ms", defaultValue = "0", description = "stream-app's sessionTimeoutMs in the "
            + "restart variants (0: its default)")
    long sessionTimeoutMs;

    public static void main(String[] args) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new StreamHarness()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("kvrelay-stream-bench-");
        try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), 0)) {
            String prefix = "bench-" + System.currentTimeMillis();
            StreamAppConfig cfg = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("state-a"))
                    .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(3_600_000);
            List<KillRestart.Variant> variants = restart.stream().map(KillRestart.Variant::parse).toList();
            List<int[]> prompts = new ArrayList<>();
            List<byte[][]> records = records(prompts);
            long t0;
            long loaded;
            double[] fresh;
            try (StreamApp a = new StreamApp(cfg, java.time.Clock.systemUTC(), persistent).start();
                 KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(kafka.bootstrapServers())) {
                await(a::healthy, 60_000, "first instance healthy");
                t0 = System.nanoTime();
                for (byte[][] r : records) {
                    producer.send(new ProducerRecord<>(prefix + ".kv-events", r[0], r[1]));
                }
                producer.flush();
                long sent = System.nanoTime();
                await(() -> a.indexEntries() >= entries, 600_000, "all entries indexed");
                loaded = System.nanoTime();
                double secs = (loaded - t0) / 1e9;
                System.out.printf(Locale.ROOT, "%n== stream-app (%s stores) ==%napply: %,d entries (%,d batches) in "
                                + "%.2f s (sent in %.2f s) -> %,.0f blocks/s, %,.0f batches/s through Kafka Streams%n",
                        persistent ? "RocksDB" : "in-memory", a.indexEntries(), records.size(), secs,
                        (sent - t0) / 1e9, entries / secs, records.size() / secs);
                fresh = freshness(a, producer, prefix);
            }
            Arrays.sort(fresh);
            if (fresh.length > 0) {
                System.out.printf(Locale.ROOT, "freshness over %d probes (send -> visible over HTTP): "
                                + "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", fresh.length,
                        pct(fresh, 0.50), pct(fresh, 0.90), pct(fresh, 0.99), fresh[fresh.length - 1]);
            }
            // Restore: a new instance, empty local state, same application id.
            StreamAppConfig b = new StreamAppConfig(cfg.applicationId(), cfg.bootstrapServers(), cfg.topicPrefix(),
                    dir.resolve("state-b"), null, 0, null, cfg.heartbeatTtlMs(), 0, 0, 0, 0, null, (short) 0, null,
                    cfg.staleMaxMs(), cfg.suspectAfterMs(), cfg.unroutableAfterMs());
            long r0 = System.nanoTime();
            try (StreamApp app = new StreamApp(b, java.time.Clock.systemUTC(), persistent).start()) {
                long expected = entries + probes;
                await(() -> app.healthy() && app.indexEntries() >= expected, 600_000, "restored");
                double rs = (System.nanoTime() - r0) / 1e9;
                System.out.printf(Locale.ROOT, "restore: %,d entries from the changelog + index rebuild, start to "
                                + "healthy: %.2f s (index rebuild alone: %.0f ms in total over the tasks)%n",
                        app.indexEntries(), rs, app.metrics().indexRebuild.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            KillRestart kill = new KillRestart(kafka.bootstrapServers(), prefix, dir, sessionTimeoutMs);
            for (KillRestart.Variant v : variants) {
                kill.run(v, entries + probes, sample(prompts), BS);
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    /** Up to {@code --samples} of the prompts, spread over the whole log. */
    private List<int[]> sample(List<int[]> prompts) {
        List<int[]> out = new ArrayList<>();
        int step = Math.max(1, prompts.size() / Math.max(1, samples));
        for (int i = 0; i < prompts.size() && out.size() < samples; i += step) {
            out.add(prompts.get(i));
        }
        return out;
    }

    /**
     * KvEventBatch records of 4 events x 4 blocks, chained per worker, up to the wanted number of entries; the tokens
     * of every complete prompt (64 blocks from its root) go to {@code prompts}.
     */
    private List<byte[][]> records(List<int[]> prompts) {
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        Random rnd = new Random(1);
        long[] lastHash = new long[WORKERS];
        long[] seq = new long[WORKERS];
        List<byte[][]> out = new ArrayList<>();
        long hash = 1;
        int made = 0;
        int promptTokens = 4 * 4 * 4 * BS;
        int[][] current = new int[WORKERS][promptTokens];
        int[] filled = new int[WORKERS];
        while (made < entries) {
            int w = out.size() % WORKERS;
            if (seq[w] % 4 == 0) {
                filled[w] = 0;
            }
            List<Object> events = new ArrayList<>();
            for (int e = 0; e < 4 && made < entries; e++) {
                int n = Math.min(4, entries - made);
                List<Long> hashes = new ArrayList<>();
                List<Integer> tokens = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    hashes.add(hash++);
                    for (int t = 0; t < BS; t++) {
                        int token = rnd.nextInt(32_000);
                        tokens.add(token);
                        current[w][filled[w]++] = token;
                    }
                }
                BlockStored s = new BlockStored();
                s.setBlockHashes(hashes);
                // A new prompt every 64 blocks, otherwise continue the worker's chain.
                s.setParentBlockHash(seq[w] % 4 == 0 && e == 0 ? null : lastHash[w] == 0 ? null : lastHash[w]);
                s.setTokenIds(tokens);
                s.setBlockSize(BS);
                s.setMedium("GPU");
                events.add(s);
                lastHash[w] = hashes.get(n - 1);
                made += n;
            }
            KvEventBatch b = KvEventBatch.newBuilder().setNamespace("bench").setService("svc").setPod("pod-" + w)
                    .setDpRank(0).setSequence(seq[w]++).setOrigin(EventOrigin.LIVE)
                    .setReceivedAtMicros(System.currentTimeMillis() * 1000).setEvents(events).build();
            out.add(new byte[][] {("bench/svc/pod-" + w).getBytes(StandardCharsets.UTF_8), codec.encode(b)});
            if (filled[w] == promptTokens) {
                prompts.add(current[w].clone());
            }
        }
        return out;
    }

    private double[] freshness(StreamApp app, KafkaProducer<byte[], byte[]> producer, String prefix)
            throws Exception {
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + app.httpPort() + "/v1/prefix-match");
        double[] lat = new double[probes];
        Random rnd = new Random(2);
        for (int i = 0; i < probes; i++) {
            int[] tokens = new int[BS];
            List<Integer> t = new ArrayList<>();
            for (int j = 0; j < BS; j++) {
                tokens[j] = 1_000_000 + rnd.nextInt(1_000_000);
                t.add(tokens[j]);
            }
            long key = BlockKeys.chain(tokens, BS, null)[0];
            BlockStored s = new BlockStored();
            s.setBlockHashes(List.of(10_000_000_000L + i));
            s.setTokenIds(t);
            s.setBlockSize(BS);
            s.setMedium("GPU");
            KvEventBatch b = KvEventBatch.newBuilder().setNamespace("bench").setService("probe")
                    .setPod("probe-" + (i % 8)).setDpRank(0).setSequence(i).setOrigin(EventOrigin.LIVE)
                    .setReceivedAtMicros(System.currentTimeMillis() * 1000).setEvents(List.of(s)).build();
            String body = String.format("{\"namespace\":\"bench\",\"service\":\"probe\",\"keys\":[\"%016x\"]}", key);
            HttpRequest req = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long sentAt = System.nanoTime();
            var future = producer.send(new ProducerRecord<>(prefix + ".kv-events",
                    ("bench/probe/probe-" + (i % 8)).getBytes(StandardCharsets.UTF_8), codec.encode(b)));
            while (true) {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"matched\":1")) {
                    break;
                }
            }
            // From send(), which sets the record's timestamp: an upper bound on append -> visible, in nanoseconds
            // rather than the millisecond Kafka timestamp.
            lat[i] = (System.nanoTime() - sentAt) / 1e6;
            future.get();
        }
        return lat;
    }

    private static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    static void await(java.util.function.BooleanSupplier cond, long timeoutMs, String what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("timed out waiting for: " + what);
            }
            Thread.sleep(2);
        }
    }
}
