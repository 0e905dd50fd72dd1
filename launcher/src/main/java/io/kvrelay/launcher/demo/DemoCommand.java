package io.kvrelay.launcher.demo;

import io.kvrelay.launcher.RunDir;
import io.kvrelay.launcher.replay.ReplayCommand;
import io.kvrelay.policies.whatif.WhatIfSettings;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.Topics;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvrelay demo}: the whole pipeline on this machine with nothing installed by hand, a chat workload routed
 * through it, live progress, a summary; Ctrl-C stops every process it started.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the whole pipeline on embedded defaults: a Kafka broker (KRaft, child JVM), a Redis "
                + "server (the system's redis-server, else a bundled one), simulated vLLM pods speaking the real "
                + "ZeroMQ protocol and vLLM's OpenAI API, ingest-bridge, stream-app and router-api, and a multi-turn "
                + "chat workload sent to the router's OpenAI front door, which routes each request and proxies it to "
                + "the chosen pod.",
                "Ctrl-C stops everything it started; the next run starts clean."})
public final class DemoCommand implements Callable<Integer> {
    private static final String NAMESPACE = "demo";

    @Option(names = "--services", split = ",", defaultValue = "llama-8b,qwen-7b",
            description = "services (one model each), comma-separated (default: ${DEFAULT-VALUE})")
    List<String> services;

    @Option(names = "--pods-per-service", defaultValue = "4", description = "simulated pods per service (default: ${DEFAULT-VALUE})")
    int podsPerService;

    @Option(names = "--rate", defaultValue = "20", description = "requests per second, over all services (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--duration", defaultValue = "60", description = "seconds of workload before the summary (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--keep-running", description = "after the summary, keep every service up for trying the HTTP API by hand, until Ctrl-C")
    boolean keepRunning;

    @Option(names = "--router-port", defaultValue = "8080", description = "router-api port; 0 = any free port (default: ${DEFAULT-VALUE})")
    int routerPort;

    // The same ports as docker-compose.yml's and the README's examples, so those calls work on the demo as they are.
    @Option(names = "--stream-port", defaultValue = "8090",
            description = "stream-app's HTTP port; 0 = any free port (default: ${DEFAULT-VALUE})")
    int streamPort;

    @Option(names = "--bridge-admin-port", defaultValue = "8081",
            description = "ingest-bridge's admin HTTP port (health, metrics, pods) on 127.0.0.1; 0 = any free port "
                    + "(default: ${DEFAULT-VALUE})")
    int bridgeAdminPort;

    @Option(names = "--capacity-blocks", defaultValue = "4000",
            description = "KV-cache capacity of each simulated pod, in 16-token blocks (default: ${DEFAULT-VALUE})")
    int capacityBlocks;

    @Option(names = "--admin-token", defaultValue = "${env:KVRELAY_ADMIN_TOKEN}",
            description = "bearer token for admin calls (env KVRELAY_ADMIN_TOKEN; default: a random one, printed "
                    + "with --keep-running)")
    String adminToken;

    @Option(names = "--seed", defaultValue = "42", description = "workload seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--progress-seconds", defaultValue = "2", description = "seconds between progress lines (default: ${DEFAULT-VALUE})")
    int progressSeconds;

    @Option(names = "--replay-out", paramLabel = "DIR",
            description = "after the summary, run `kvrelay replay` over the demo's event and decision log and write "
                    + "its report (report.html, replay.json, CSV) into DIR")
    Path replayOut;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (adminToken == null || adminToken.isBlank()) {
            // A token nobody else knows: the demo's ports are local, but a fixed default would be everyone's.
            byte[] random = new byte[18];
            new java.security.SecureRandom().nextBytes(random);
            adminToken = java.util.HexFormat.of().formatHex(random);
        }
        Path run = RunDir.of("demo");
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                cleanedUp.await(60, TimeUnit.SECONDS); // let the main thread stop every child process first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long t0 = System.nanoTime();
        try {
            out.printf("kvrelay demo: %d services x %d pods, %.0f req/s for %d s; run dir %s, log %s%n",
                    services.size(), podsPerService, rate, durationSeconds, run, RunDir.log());
            DemoPipeline.Settings settings = new DemoPipeline.Settings(RunDir.data(run), NAMESPACE, services,
                    podsPerService, capacityBlocks, new DemoPipeline.Ports(routerPort, streamPort, bridgeAdminPort),
                    adminToken, "kvrelay-demo");
            try (DemoPipeline pipeline = new DemoPipeline(settings, step -> out.println("  " + step + " ..."))) {
                int port = pipeline.router().port();
                out.printf("  ready in %.1f s: router http://127.0.0.1:%d, stream-app http://127.0.0.1:%d, "
                                + "bridge admin http://127.0.0.1:%d, Redis %s:%d (%s), Kafka %s%n",
                        (System.nanoTime() - t0) / 1e9, port, pipeline.stream().httpPort(),
                        pipeline.bridgeAdmin().port(), pipeline.redis().host(), pipeline.redis().port(),
                        pipeline.redis().kind(), pipeline.kafka().bootstrapServers());
                DemoStats stats = new DemoStats();
                try (DemoWorkload workload = new DemoWorkload(NAMESPACE, services, port, seed,
                        stats)) {
                    if (!workload.awaitRoutable(podsPerService, Duration.ofSeconds(180))) {
                        out.println("  warning: not every pod is routable after 180 s; starting anyway");
                    }
                    workload.start(rate);
                    runFor(durationSeconds, stop, stats, pipeline);
                }
                summary(stats);
                if (replayOut != null && stop.getCount() > 0) {
                    replay(pipeline.kafka().bootstrapServers(), settings.topicPrefix());
                }
                if (keepRunning && stop.getCount() > 0) {
                    printTryIt(port, pipeline.stream().httpPort(), pipeline.bridgeAdmin().port());
                    stop.await();
                }
                out.println("stopping ...");
            }
        } finally {
            RunDir.cleanUp(run);  // the broker's and stream-app's files; the log stays to be read
            out.printf("stopped; every process this demo started has exited (%.1f s in all); log %s%n",
                    (System.nanoTime() - t0) / 1e9, RunDir.log());
            cleanedUp.countDown();
        }
        return 0;
    }

    private void runFor(int seconds, CountDownLatch stop, DemoStats stats, DemoPipeline pipeline)
            throws InterruptedException {
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        double lastEvents = events(pipeline);
        long lastTick = start;
        out.println("   time |   req/s | KV hit | events/s | index lag p50/p99 ms |   TTFT p50/p99 ms | failures");
        while (System.nanoTime() < end) {
            if (stop.await(progressSeconds, TimeUnit.SECONDS)) {
                return;
            }
            long now = System.nanoTime();
            double secs = (now - lastTick) / 1e9;
            DemoStats.Window w = stats.takeInterval();
            double ev = events(pipeline);
            double[] lag = lag(pipeline.stream().metrics());
            out.printf(Locale.ROOT, "  %4.0fs | %7.1f | %5.1f%% | %8.0f | %9.1f / %-9.1f | %7.2f / %-7.2f | %d%n",
                    (now - start) / 1e9, w.requests() / secs, 100 * w.hitRate(), (ev - lastEvents) / secs,
                    lag[0], lag[1], w.p50Ms(), w.p99Ms(), w.failures());
            lastEvents = ev;
            lastTick = now;
        }
    }

    private static double events(DemoPipeline p) {
        return p.bridge().metrics().count("kvrelay.bridge.events");
    }

    private static double[] lag(StreamMetrics m) {
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        for (ValueAtPercentile v : m.applyLag.takeSnapshot().percentileValues()) {
            if (v.percentile() == 0.5) {
                p50 = v.value(TimeUnit.MILLISECONDS);
            } else if (v.percentile() == 0.99) {
                p99 = v.value(TimeUnit.MILLISECONDS);
            }
        }
        return new double[] {p50, p99};
    }

    private void summary(DemoStats stats) {
        stats.takeInterval();
        DemoStats.Window t = stats.total();
        out.printf(Locale.ROOT, "summary: %d requests, %d failed; KV-cache hit rate %.1f%% of prompt blocks; "
                        + "%.1f%% answered by a sticky link; time to first token p50 %.2f ms, p99 %.2f ms%n",
                t.requests(), t.failures(), 100 * t.hitRate(), 100 * t.stickyShare(), t.p50Ms(), t.p99Ms());
        if (stats.lastFailure() != null) {
            out.println("  last failure: " + stats.lastFailure());
        }
        StringBuilder pods = new StringBuilder("  requests per pod:");
        for (Map.Entry<String, Long> e : stats.perPod().entrySet()) {
            pods.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        out.println(pods);
    }

    /** The demo's log read again by {@code kvrelay replay}, while the broker still runs. */
    private void replay(String bootstrap, String topicPrefix) throws IOException {
        Topics topics = Topics.withPrefix(topicPrefix, (short) 1);
        out.println("replaying the demo's log into " + replayOut.toAbsolutePath() + " ...");
        ReplayCommand.Result r = ReplayCommand.run(new ReplayCommand.ReplayJob(KafkaClients.of(bootstrap), topics.kvEvents().name(),
                topics.routeDecisions().name(), null, null, Duration.ofSeconds(5), replayOut,
                WhatIfSettings.defaults()), new PrintStream(OutputStream.nullOutputStream()));
        out.printf(Locale.ROOT, "  replayed %d records (%d decisions) in %.1f s; open %s%n", r.records(),
                r.decisions(), r.seconds(), replayOut.resolve("report.html").toAbsolutePath());
    }

    private void printTryIt(int routerPort, int streamPort, int bridgePort) {
        String svc = services.get(0);
        out.printf("""
                every service keeps running; try the API (Ctrl-C stops everything):
                  curl -s localhost:%1$d/v1/chat/completions -H 'content-type: application/json' -H 'x-user-id: me' -d '{"model":"%2$s","messages":[{"role":"user","content":"Hello"}],"max_tokens":8}'
                  curl -s localhost:%1$d/v1/route -d '{"namespace":"demo","service":"%2$s","userId":"me","tokens":[%3$s]}'
                  curl -s 'localhost:%1$d/v1/services/demo/%2$s/pods?filter=routable'
                  curl -s localhost:%1$d/v1/links/demo/me/%2$s
                  curl -s -H 'Authorization: Bearer %4$s' localhost:%1$d/v1/services/demo/%2$s/pods/%2$s-0/drain -d '{}'
                  curl -s localhost:%5$d/v1/services/demo/%2$s/pods      # stream-app's own view
                  curl -s localhost:%1$d/metrics | grep kvrelay_router
                  curl -s localhost:%6$d/pods                            # the bridge: pods, workers, sequences
                """, routerPort, svc, tokens(), adminToken, streamPort, bridgePort);
    }

    /** 64 token ids: four full blocks, for a curl line. */
    private static String tokens() {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 64; i++) {
            sb.append(i == 1 ? "" : ",").append(i);
        }
        return sb.toString();
    }

}
