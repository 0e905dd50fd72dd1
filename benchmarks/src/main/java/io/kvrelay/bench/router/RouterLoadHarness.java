package io.kvrelay.bench.router;

import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.DelayingTcpProxy;
import io.kvrelay.testkit.KafkaProcess;
import io.kvrelay.testkit.RedisServer;
import io.kvrelay.testkit.TestProducers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * router-api under HTTP load on this machine, with its real dependencies in the path: a broker (child JVM), one
 * stream-app, a real Redis, one router (this JVM), and {@link OpenLoopLoad} in a separate JVM sending
 * {@code /v1/route} at increasing fixed rates. {@code --pods} pods; each holds some system-prompt blocks, so prefix
 * lookups match. The modelled fleet ({@code --pods}, {@code --prefill-ms-per-block}) should be able to serve the rates
 * sent: a fleet 14 times overloaded (the harness's first settings) moves nearly every user's link on every request,
 * which no fleet in service does.
 *
 * <p>{@code --redis-delay-ms D} puts a {@link DelayingTcpProxy} between the router and Redis that delays every command
 * by D ms (0: the proxy without delay, the baseline to compare with). Per rate it prints the load generator's line,
 * then the CPU this JVM (router + stream-app) used while it ran, in cores, and {@code /proc/loadavg} at its end.
 */
@Command(name = "router-load", mixinStandardHelpOptions = true,
        description = "router-api p50/p99 at increasing request rates (open loop, separate load process)")
public final class RouterLoadHarness implements Callable<Integer> {

    @Option(names = "--rates", split = ",", defaultValue = "500,1000,2000,3000,4000", description = "requests/s")
    List<Integer> rates;

    @Option(names = "--seconds", defaultValue = "10", description = "seconds per rate")
    int seconds;

    @Option(names = "--prompt-tokens", defaultValue = "1024",
            description = "tokens per prompt (1024 = 64 block keys; 4096 = 256; 12800 = 800)")
    int promptTokens;

    @Option(names = "--warmup-seconds", defaultValue = "40",
            description = "seconds of load first, unreported: C2 needs tens of seconds on this 2-core VM")
    int warmupSeconds;

    @Option(names = "--warmup-rate", defaultValue = "0",
            description = "requests/s of the warm-up (0: the first of --rates; at 100 req/s the JIT was still "
                    + "compiling the hot path a minute into the measured phases)")
    int warmupRate;

    @Option(names = "--redis-delay-ms", defaultValue = "-1",
            description = "route Redis through a proxy delaying each command this long (-1: no proxy)")
    int redisDelayMs;

    @Option(names = "--pods", defaultValue = "64", description = "pods of the modelled service")
    int pods;

    @Option(names = "--prefill-ms-per-block", defaultValue = "0.25",
            description = "cost.prefillMsPerBlock: with --pods it sets what the modelled fleet can serve (the defaults: "
                    + "about 4,500 prompts of 1,024 tokens per second; --pods 16 --prefill-ms-per-block 2, the old "
                    + "harness, about 140)")
    double prefillMsPerBlock;

    @Option(names = "--max-in-flight", defaultValue = "256",
            description = "cost.maxInFlight: requests a pod runs at once before it counts as overloaded (vLLM's "
                    + "max_num_seqs defaults to 256; the router's own default, 64, is conservative)")
    int maxInFlight;

    @Option(names = "--answer-candidates", defaultValue = "-1",
            description = "ask for this many candidates in each answer (/v1/route?candidates=N; -1: all, the default)")
    int answerCandidates;

    @Option(names = "--wrk-connections", defaultValue = "0",
            description = "after the rates, run Debian's wrk (closed loop, one thread) with this many connections for "
                    + "--seconds against the same router, the same bodies (0: no wrk run)")
    int wrkConnections;

    @Option(names = "--touch-interval-ms", defaultValue = "0",
            description = "links.touchIntervalMs (0: its default, 60 s): shorter, and the run refreshes links too")
    long touchIntervalMs;

    public static void main(String[] args) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new RouterLoadHarness()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("kvrelay-router-load-");
        String prefix = "load-" + System.currentTimeMillis();
        try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), 0);
             RedisServer redis = RedisServer.start();
             DelayingTcpProxy proxy = DelayingTcpProxy.to(redis.host(), redis.port())
                     .delay(Duration.ofMillis(Math.max(0, redisDelayMs)));
             StreamApp stream = new StreamApp(StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                     .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(3_600_000)).start()) {
            long deadline = System.currentTimeMillis() + 60_000;
            seed(kafka.bootstrapServers(), prefix, pods);
            while (!(stream.healthy() && stream.indexEntries() >= pods * 8L)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("stream-app did not index the seed data");
                }
                Thread.sleep(50);
            }
            RouterConfig rc = new RouterConfig("load", null, 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                    50, 500, 16, LinkConfig.of(redisDelayMs < 0 ? redis.host() : proxy.host(),
                    redisDelayMs < 0 ? redis.port() : proxy.port(), Set.of("bench")).withTtls(0, 0, touchIntervalMs),
                    CostModel.defaults().with("prefillMsPerBlock", String.valueOf(prefillMsPerBlock))
                            .with("maxInFlight", String.valueOf(maxInFlight)),
                    kafka.bootstrapServers(), prefix, 0, null, null);
            try (RouterApp router = new RouterApp(rc).start()) {
                String url = "http://127.0.0.1:" + router.port() + "/v1/route"
                        + (answerCandidates >= 0 ? "?candidates=" + answerCandidates : "");
                System.out.printf(java.util.Locale.ROOT, "%d pods at %.2f ms per uncached block: a fleet for about "
                        + "%.0f prompts of %d tokens per second%n", pods, prefillMsPerBlock,
                        pods * 1000 / (prefillMsPerBlock * (promptTokens / 16 - 8)), promptTokens);
                int warmRate = warmupRate > 0 ? warmupRate : rates.get(0);
                System.out.printf("router on port %d, Redis %s%s; warm-up %d s at %d req/s, then %s req/s for %d s "
                        + "each%n", router.port(), redis.kind(), redisDelayMs < 0 ? ""
                        : " behind a proxy delaying each command " + redisDelayMs + " ms", warmupSeconds, warmRate,
                        rates, seconds);
                LoadClients.openLoop(url, promptTokens, warmupSeconds, List.of(warmRate), false);
                int exit = 0;
                for (int rate : rates) {
                    java.util.Map<String, Double> links0 = linkOutcomes(router);
                    LoadClients.Run run = LoadClients.openLoop(url, promptTokens, seconds, List.of(rate), true);
                    exit |= run.exit();
                    System.out.printf("  rate=%d router+stream-app JVM (%d tokens per prompt): %s%n", rate,
                            promptTokens, run.cpuLine());
                    System.out.println("  rate=" + rate + " link outcomes:" + outcomesSince(router, links0));
                }
                if (wrkConnections > 0) {
                    java.util.Map<String, Double> links0 = linkOutcomes(router);
                    LoadClients.Run run = LoadClients.wrk(url, promptTokens, wrkConnections, seconds, dir);
                    exit |= run.exit();
                    System.out.printf("  wrk -c%d router+stream-app JVM (%d tokens per prompt): %s%n", wrkConnections,
                            promptTokens, run.cpuLine());
                    System.out.println("  wrk link outcomes:" + outcomesSince(router, links0));
                }
                System.out.println(router.registry().scrape().lines()
                        .filter(l -> l.startsWith("kvrelay_links_redis_") || l.startsWith("kvrelay_links_decisions"))
                        .filter(l -> !l.startsWith("#")).reduce("link meters:", (a, b) -> a + "\n  " + b));
                return exit;
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** " kept=N moved=N ...": the link outcomes counted since {@code before}. */
    private static String outcomesSince(RouterApp router, java.util.Map<String, Double> before) {
        StringBuilder out = new StringBuilder();
        linkOutcomes(router).forEach((o, n) -> {
            long d = Math.round(n - before.getOrDefault(o, 0.0));
            if (d > 0) {
                out.append(' ').append(o).append('=').append(d);
            }
        });
        return out.toString();
    }

    /** kvrelay_links_decisions_total by outcome, from the router's registry. */
    private static java.util.Map<String, Double> linkOutcomes(RouterApp router) {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        router.registry().find("kvrelay.links.decisions").counters().forEach(c ->
                out.put(c.getId().getTag("outcome"), c.count()));
        return out;
    }

    /** {@code pods} pods alive; pod i holds the first 8 blocks of system prompt i % 4 (the load generator's prompts). */
    private static void seed(String bootstrap, String prefix, int pods) {
        java.util.Random rnd = new java.util.Random(5); // the same system prompts as OpenLoopLoad
        int[][] system = new int[4][512];
        for (int[] s : system) {
            for (int i = 0; i < s.length; i++) {
                s[i] = rnd.nextInt(32_000);
            }
        }
        try (KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(bootstrap)) {
            for (int i = 0; i < pods; i++) {
                String pod = "pod-" + i;
                byte[] key = ("bench/svc/" + pod).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(prefix + ".pod-status", key, AvroCodec.podStatus().encode(
                        PodStatus.newBuilder().setNamespace("bench").setService("svc").setPod(pod)
                                .setState(PodState.CONNECTED)
                                .setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                                .setRunningRequests(i % 5).setWaitingRequests(0).setKvCacheUsage(0.3)
                                .setReportedAtMicros(System.currentTimeMillis() * 1000).build())));
                List<Long> hashes = new ArrayList<>();
                List<Integer> tokens = new ArrayList<>();
                for (int b = 0; b < 8; b++) {
                    hashes.add((long) i * 1000 + b + 1);
                }
                for (int t = 0; t < 8 * 16; t++) {
                    tokens.add(system[i % 4][t]);
                }
                BlockStored s = new BlockStored();
                s.setBlockHashes(hashes);
                s.setTokenIds(tokens);
                s.setBlockSize(16);
                s.setMedium("GPU");
                producer.send(new ProducerRecord<>(prefix + ".kv-events", key, AvroCodec.kvEvents().encode(
                        KvEventBatch.newBuilder().setNamespace("bench").setService("svc").setPod(pod).setDpRank(0)
                                .setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0)
                                .setEvents(List.of(s)).build())));
            }
            producer.flush();
        }
    }
}
