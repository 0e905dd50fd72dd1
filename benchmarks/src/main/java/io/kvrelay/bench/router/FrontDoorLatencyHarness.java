package io.kvrelay.bench.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaProcess;
import io.kvrelay.testkit.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the OpenAI front door adds over calling a pod directly. One JVM holds the whole pipeline: {@code --pods}
 * simulated pods of one service (their time model as fast as it goes: 0 ms per prefill block, 0 ms per decode step,
 * so what is measured is the path, not the model), the bridge subscribed to them, stream-app, the router with its
 * front door; the broker runs in a child JVM, Redis is its own process. {@link OpenLoopLoad} in chat mode, in its own
 * JVM, sends the same streamed chat requests at each rate, first (a) straight to the pods' serving ports (round
 * robin), then (b) to the router's {@code /v1/chat/completions}, and reports the first byte of the body (the first
 * server-sent event) and the whole answer, from each request's scheduled time.
 *
 * <p>Per run it prints the generator's line and this JVM's CPU (utime + stime) per request with the load average;
 * at the end a summary per rate: both targets, the latency the front door adds at p50 and p99 (b − a) and the CPU it
 * costs per request (b − a: in (a) the JVM runs the pods alone, in (b) the pods and the router, stream-app's index
 * calls and the decision log; Redis and the broker are other processes).
 */
@Command(name = "front-door-latency", mixinStandardHelpOptions = true,
        description = "latency and CPU the OpenAI front door adds over calling the pods directly (open loop)")
public final class FrontDoorLatencyHarness implements Callable<Integer> {
    private static final String NAMESPACE = "bench";
    private static final String SERVICE = "svc";
    private static final String MODEL = "sim-model";
    private static final Pattern LINE = Pattern.compile("rate=(\\d+) sent=(\\d+) ok=(\\d+) errors=(\\d+) first-byte "
            + "p50=([0-9.]+) p99=([0-9.]+) max=([0-9.]+) total p50=([0-9.]+) p90=[0-9.]+ p99=([0-9.]+) max=([0-9.]+)");

    @Option(names = "--rates", split = ",", defaultValue = "100,1000", description = "requests/s")
    List<Integer> rates;

    @Option(names = "--seconds", defaultValue = "20", description = "seconds per rate and target")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "30",
            description = "seconds of load through the front door first, at the first rate, unreported")
    int warmupSeconds;

    @Option(names = "--warmup-rate", defaultValue = "0",
            description = "requests/s of the warm-up (0: the first of --rates; 30 s at 100 req/s leaves C2 compiling "
                    + "the front door's path well into the measured runs)")
    int warmupRate;

    @Option(names = "--pods", defaultValue = "4", description = "simulated pods of the service")
    int pods;

    @Option(names = "--max-tokens", defaultValue = "8", description = "max_tokens of each chat request")
    int maxTokens;

    @Option(names = "--unique-prompts", description = "every request a question never sent before, so the front "
            + "door asks a pod to tokenize each one (default: 1,000 questions in turn, all in the router's "
            + "tokenization cache after the warm-up)")
    boolean uniquePrompts;

    @Option(names = "--threads", defaultValue = "8",
            description = "after each run, this JVM's busiest thread groups (names with digits as #) and their CPU "
                    + "in ms per request, from /proc/self/task/*/stat (0: none)")
    int threads;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FrontDoorLatencyHarness()).execute(args));
    }

    /** One target's figures at one rate (ms), and this JVM's CPU per request over its run. */
    record Result(long ok, long errors, double firstP50, double firstP99, double firstMax, double totalP50,
                  double totalP99, double totalMax, double cpuMsPerRequest, String loadavg) {
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("kvrelay-front-door-");
        String prefix = "fdbench-" + System.currentTimeMillis(); // Kafka Streams threads: fdbench-#-Strea...
        List<AutoCloseable> started = new ArrayList<>(); // closed last first, before the broker and Redis
        try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"), 0);
             RedisServer redis = RedisServer.start()) {
            return measure(kafka, redis, prefix, dir, started);
        } finally {
            closeAll(started);
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private int measure(KafkaProcess kafka, RedisServer redis, String prefix, Path dir, List<AutoCloseable> started)
            throws Exception {
        try {
            List<String> direct = new ArrayList<>();
            List<PodConfig> subscribed = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                SimPodConfig c = SimPodConfig.builder("pod-" + i).namespace(NAMESPACE).service(SERVICE).model(MODEL)
                        .servingPort(0).prefillMsPerBlock(0).decodeMsPerToken(0).seed(i).build();
                SimPod pod = SimPod.start(c);
                started.add(pod);
                direct.add("http://127.0.0.1:" + pod.servingPort() + "/v1/chat/completions");
                subscribed.add(new PodConfig(NAMESPACE, SERVICE, c.pod(), null, "127.0.0.1", pod.pubBasePort(),
                        pod.replayBasePort(), c.dpRanks(), MODEL, "", pod.servingPort(), null));
            }
            IngestBridge bridge = new IngestBridge(new BridgeConfig(prefix, new KafkaSinkConfig(
                    kafka.bootstrapServers(), prefix, true, (short) 1, "lz4", 1, Map.of()), ZmqConfig.defaults(),
                    new AdminConfig("127.0.0.1", 0), 1_024, 5_000, subscribed)).start();
            started.add(bridge);
            StreamApp stream = new StreamApp(StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("stream"))
                    .withApplicationId(prefix).withTopicPrefix(prefix)).start();
            started.add(stream);
            RouterConfig rc = new RouterConfig(prefix + "-router", null, 0, 0,
                    List.of("http://127.0.0.1:" + stream.httpPort()), 0, 0, 0,
                    LinkConfig.of(redis.host(), redis.port(), Set.of(NAMESPACE)).withKeyPrefix(prefix + ":"),
                    CostModel.defaults(), kafka.bootstrapServers(), prefix, 0, null, null)
                    .withOpenAi(new OpenAiConfig(NAMESPACE, Map.of(MODEL, SERVICE), null, 0, 0, 0, 0, 0, 0));
            RouterApp router = new RouterApp(rc).start();
            started.add(router);
            String routerUrl = "http://127.0.0.1:" + router.port();
            awaitRoutable(routerUrl, pods);
            String frontDoor = routerUrl + "/v1/chat/completions";
            int warmRate = warmupRate > 0 ? warmupRate : rates.get(0);
            System.out.printf("%d pods (0 ms per prefill block, 0 ms per decode step), router on port %d with the "
                            + "front door, Redis %s; max_tokens %d, streamed; warm-up %d s at %d req/s through the "
                            + "front door, then per rate %s req/s: direct, then front door, %d s each; %s%n", pods,
                    router.port(), redis.kind(), maxTokens, warmupSeconds, warmRate, rates, seconds,
                    uniquePrompts ? "every question new (tokenized by a pod)" : "1,000 questions in turn");
            LoadClients.openLoop(frontDoor, options("warmup", warmRate * warmupSeconds), warmupSeconds,
                    List.of(warmRate), false);
            int exit = 0;
            Map<Integer, Result[]> results = new LinkedHashMap<>();
            for (int rate : rates) {
                Result[] pair = new Result[2];
                String[] targets = {String.join(",", direct), frontDoor};
                for (int t = 0; t < 2; t++) {
                    String name = t == 0 ? "direct" : "front-door";
                    System.out.printf("%s rate=%d:%n", name, rate);
                    Map<String, Long> ticks0 = threadTicks();
                    LoadClients.Run run = LoadClients.openLoop(targets[t], options(name + rate, rate * seconds),
                            seconds, List.of(rate), true);
                    exit |= run.exit();
                    pair[t] = result(run);
                    System.out.printf("  %s rate=%d pipeline JVM: %s%n", name, rate, run.cpuLine());
                    printThreads(ticks0, threadTicks(), run.requests());
                }
                results.put(rate, pair);
            }
            summary(results);
            return exit;
        } finally {
            closeAll(started);
        }
    }

    private static void closeAll(List<AutoCloseable> started) {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
        started.clear();
    }

    /** The generator's options for one run of {@code requests} requests, named {@code run}. */
    private List<String> options(String run, int requests) {
        List<String> o = new ArrayList<>(List.of("-Dmode=chat", "-DmaxTokens=" + maxTokens));
        if (uniquePrompts) {
            o.addAll(List.of("-Dbodies=" + requests, "-Dsalt=" + run + "-"));
        }
        return o;
    }

    /** The generator's line of one run, parsed, with this JVM's CPU over it. */
    private static Result result(LoadClients.Run run) throws IOException {
        for (String l : run.lines()) {
            Matcher m = LINE.matcher(l);
            if (m.find()) {
                return new Result(Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), d(m, 5), d(m, 6), d(m, 7),
                        d(m, 8), d(m, 9), d(m, 10), run.cpuMsPerRequest(), loadavg());
            }
        }
        throw new IllegalStateException("the load generator printed no result: " + run.lines());
    }

    private static double d(Matcher m, int group) {
        return Double.parseDouble(m.group(group));
    }

    private static void summary(Map<Integer, Result[]> results) {
        System.out.println("summary (ms; CPU in ms of this JVM per request):");
        results.forEach((rate, r) -> {
            for (int t = 0; t < 2; t++) {
                Result x = r[t];
                System.out.printf(Locale.ROOT, "  rate=%d %-10s ok=%d errors=%d first-byte p50=%.2f p99=%.2f "
                                + "max=%.2f total p50=%.2f p99=%.2f max=%.2f cpu=%.3f loadavg %s%n", rate,
                        t == 0 ? "direct" : "front-door", x.ok(), x.errors(), x.firstP50(), x.firstP99(),
                        x.firstMax(), x.totalP50(), x.totalP99(), x.totalMax(), x.cpuMsPerRequest(), x.loadavg());
            }
            Result a = r[0];
            Result b = r[1];
            System.out.printf(Locale.ROOT, "  rate=%d added by the front door: first-byte p50=%+.2f p99=%+.2f "
                            + "total p50=%+.2f p99=%+.2f cpu=%+.3f ms per request%n", rate,
                    b.firstP50() - a.firstP50(), b.firstP99() - a.firstP99(), b.totalP50() - a.totalP50(),
                    b.totalP99() - a.totalP99(), b.cpuMsPerRequest() - a.cpuMsPerRequest());
        });
    }

    /** CPU ticks (1/100 s) of this JVM's live threads by name, digits as {@code #} (a pool's threads together). */
    static Map<String, Long> threadTicks() throws IOException {
        Map<String, Long> out = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended
                }
                int close = stat.lastIndexOf(')');
                String name = stat.substring(stat.indexOf('(') + 1, close).replaceAll("\\d+", "#");
                String[] f = stat.substring(close + 2).split(" "); // f[0] is field 3 (state)
                out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum); // utime, stime
            }
        }
        return out;
    }

    /** The {@code --threads} busiest thread groups between two snapshots, in ms of CPU per request. */
    private void printThreads(Map<String, Long> before, Map<String, Long> after, long requests) {
        if (threads <= 0) {
            return;
        }
        String top = after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(threads).map(e -> String.format(Locale.ROOT, "%s=%.3f", e.getKey(),
                        e.getValue() * 10.0 / requests))
                .reduce((a, b) -> a + " " + b).orElse("");
        System.out.println("    busiest threads, ms CPU per request: " + top);
    }

    private static String loadavg() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    /** Waits until the router lists {@code n} routable pods of the service (the bridge's reports reached it). */
    private static void awaitRoutable(String routerUrl, int n) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        URI uri = URI.create(routerUrl + "/v1/services/" + NAMESPACE + "/" + SERVICE + "/pods?filter=routable");
        long deadline = System.currentTimeMillis() + 180_000;
        int seen = 0;
        while (seen < n) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the router saw " + seen + " of " + n + " pods routable in 180 s");
            }
            Thread.sleep(250);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            seen = r.statusCode() == 200 ? json.readTree(r.body()).path("pods").size() : 0;
        }
    }
}
