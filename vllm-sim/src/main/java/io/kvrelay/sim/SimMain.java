package io.kvrelay.sim;

import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.sim.metrics.KvUsageMetric;
import io.kvrelay.sim.metrics.WorkerMetrics;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.zmq.Fidelity;
import io.kvrelay.sim.zmq.ReplayReplyShape;
import io.kvrelay.sim.zmq.ReplayServing;
import io.kvrelay.sim.zmq.SeqFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a fleet of simulated vLLM pods with a workload until Ctrl-C. Pod i binds its PUB on
 * {@code base + i*stride} (+ rank) and its replay ROUTER {@code ranks} ports above, so with the defaults pod 0 uses
 * vLLM's own 5557/5558.
 */
@Command(name = "vllm-sim", mixinStandardHelpOptions = true, versionProvider = KvrelayVersion.class,
        description = "Simulated vLLM pods publishing real KV-cache events over ZeroMQ.")
public final class SimMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SimMain.class);

    @Option(names = "--pods", defaultValue = "4", description = "Number of pods (default ${DEFAULT-VALUE}).")
    int pods;
    @Option(names = "--dp-ranks", defaultValue = "1", description = "Data-parallel ranks per pod.")
    int ranks;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address, or * for all.")
    String host;
    @Option(names = "--base-port", defaultValue = "5557", description = "First PUB port; 0 = free ports.")
    int basePort;
    @Option(names = "--port-stride", description = "Ports between pods (default 2 x ranks, 1 x without replay).")
    Integer stride;
    @Option(names = "--no-replay", description = "Run without the replay ROUTER.")
    boolean noReplay;
    @Option(names = {"--serving-base-port", "--metrics-base-port"},
            description = "Serving port (OpenAI API, /metrics) of pod i: this port + i (0 = free ports). Default: none")
    Integer servingBasePort;
    @Option(names = "--no-metrics", description = "Bind the serving port but answer /metrics with 404.")
    boolean noMetrics;
    @Option(names = "--kv-usage-metric", defaultValue = "KV_CACHE_USAGE_PERC",
            description = "Name of the KV-usage gauge: ${COMPLETION-CANDIDATES} (vLLM v1+ / older).")
    KvUsageMetric kvUsageMetric;
    @Option(names = "--prefill-ms-per-block", defaultValue = "2.0",
            description = "OpenAI API: prefill time per uncached block, ms (default ${DEFAULT-VALUE}).")
    double prefillMsPerBlock;
    @Option(names = "--decode-ms-per-token", defaultValue = "5.0",
            description = "OpenAI API: one decode step (a token per running request), ms (default ${DEFAULT-VALUE}).")
    double decodeMsPerToken;
    @Option(names = "--max-running", defaultValue = "256",
            description = "OpenAI API: requests running at once per rank; more wait (default ${DEFAULT-VALUE}).")
    int maxRunning;

    @Option(names = "--tokenizer", description = "OpenAI API: tokenize with this Hugging Face tokenizer directory "
            + "(tokenizer.json, tokenizer_config.json's chat template) instead of the simulator's own; the "
            + "vllm-sim image has it, kvrelay.jar's simulator does not.")
    String tokenizer;
    @Option(names = "--layout", defaultValue = "MAP_EVENTS", description = "${COMPLETION-CANDIDATES}")
    PayloadLayout layout;
    @Option(names = "--hash-encoding", defaultValue = "INT", description = "${COMPLETION-CANDIDATES}")
    HashEncoding hashEncoding;
    @Option(names = "--reply-shape", defaultValue = "WITH_TOPIC", description = "${COMPLETION-CANDIDATES}")
    ReplayReplyShape replyShape;
    @Option(names = "--rate", defaultValue = "100", description = "Requests per second per pod.")
    double rate;
    @Option(names = "--duration", defaultValue = "0", description = "Seconds to run; 0 = until Ctrl-C.")
    long duration;
    @Option(names = "--capacity", defaultValue = "4096", description = "KV blocks per rank.")
    int capacity;
    @Option(names = "--block-size", defaultValue = "16", description = "Tokens per block.")
    int blockSize;
    @Option(names = "--snd-hwm", defaultValue = "100000", description = "PUB high-water mark (vLLM hwm).")
    int sndHwm;
    @Option(names = "--buffer-steps", defaultValue = "10000", description = "Replay buffer (vLLM buffer_steps).")
    int bufferSteps;
    @Option(names = "--model", defaultValue = "sim-model")
    String model;
    @Option(names = "--namespace", defaultValue = "default")
    String namespace;
    @Option(names = "--service", defaultValue = "vllm")
    String service;
    @Option(names = "--topic", description = "Topic template; {pod} and {model} are replaced (default kv@{pod}@{model}).")
    String topic;
    @Option(names = "--lora", split = ",", description = "LoRA adapter names, comma separated.")
    List<String> loras = new ArrayList<>();
    @Option(names = "--lora-probability", defaultValue = "0.2")
    double loraProbability;
    @Option(names = "--seed", defaultValue = "42")
    long seed;
    @Option(names = "--fidelity", defaultValue = "ROOMY", description = "How harsh to be, as a preset: "
            + "${COMPLETION-CANDIDATES}. ROOMY: the simulator's kind defaults; VLLM: replay on the publishing thread "
            + "at ROUTER HWM 1000, restarts close the sockets for 1 s then burst 100 batches; VLLM_SNAPSHOT: VLLM "
            + "plus 24-byte seq frames and a 1 s idle heartbeat. --replay-*, --seq-frame, --heartbeat-ms and "
            + "--restart-* override single knobs.")
    FidelityPreset fidelity;
    @Option(names = "--replay-serving", description = "Which thread serves replay: ${COMPLETION-CANDIDATES}.")
    ReplayServing replayServing;
    @Option(names = "--replay-hwm", description = "Replay ROUTER send HWM (vLLM 1000; -1 = the whole buffer).")
    Integer replayHwm;
    @Option(names = "--replay-pace-us", description = "Least microseconds between two replay replies (0 = none).")
    Long replayPaceMicros;
    @Option(names = "--seq-frame", description = "Sequence frame: ${COMPLETION-CANDIDATES} (8 or 24 bytes).")
    SeqFrame seqFrame;
    @Option(names = "--heartbeat-ms", description = "Empty batch after this many idle milliseconds (0 = off).")
    Long heartbeatMillis;
    @Option(names = "--restart-every", defaultValue = "0",
            description = "Seconds between restarts of a random pod (0 = never).")
    long restartEvery;
    @Option(names = "--restart-style", description = "How a pod restarts: ${COMPLETION-CANDIDATES}.")
    RestartPlan.Style restartStyle;
    @Option(names = "--restart-downtime-ms", description = "Milliseconds a PROCESS_EXIT restart stays down.")
    Long restartDowntimeMillis;
    @Option(names = "--restart-burst", description = "Batches published at once after a restart.")
    Integer restartBurst;

    private volatile boolean running = true;

    public static void main(String[] args) {
        // Must be set before the JDK HTTP server classes load, or keep-alive scrapes wait 40 ms each (Nagle).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new SimMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        SimFleet fleet = SimFleet.start(configs());
        CountDownLatch stopped = new CountDownLatch(1);
        Thread driver = new Thread(() -> drive(fleet), "kvsim-driver");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running = false;
            try {
                stopped.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kvsim-shutdown"));
        for (SimPod p : fleet.pods()) {
            LOG.info("{}: pub {} replay {} serving port {}", p.id(), p.pubEndpoint(0), p.replayEndpoint(0),
                    p.servingPort());
        }
        driver.start();
        Thread restarter = new Thread(() -> restartPeriodically(fleet), "kvsim-restarter");
        if (restartEvery > 0) {
            restarter.start();
        }
        try {
            driver.join(duration > 0 ? TimeUnit.SECONDS.toMillis(duration) : 0);
            running = false;
            driver.join();
            restarter.interrupt();
            if (restartEvery > 0) {
                restarter.join();
            }
        } finally {
            fleet.close();
            stopped.countDown();
        }
        return 0;
    }

    List<SimPodConfig> configs() {
        int step = stride != null ? stride : (noReplay ? ranks : 2 * ranks);
        List<SimPodConfig> out = new ArrayList<>(pods);
        for (int i = 0; i < pods; i++) {
            String pod = "pod-" + i;
            int pub = basePort == 0 ? 0 : basePort + i * step;
            Integer replay = noReplay ? null : basePort == 0 ? 0 : pub + ranks;
            Integer serving = servingBasePort == null ? null : servingBasePort == 0 ? 0 : servingBasePort + i;
            String t = topic == null ? null : topic.replace("{pod}", pod).replace("{model}", model);
            out.add(SimPodConfig.builder(pod).namespace(namespace).service(service).host(host).pubBasePort(pub)
                    .replayBasePort(replay).dpRanks(ranks).layout(layout).hashEncoding(hashEncoding)
                    .replyShape(replyShape).sndHwm(sndHwm).replayBufferSteps(bufferSteps).capacityBlocks(capacity)
                    .blockSize(blockSize).topic(t).model(model).servingPort(serving)
                    .serveMetrics(!noMetrics).kvUsageMetric(kvUsageMetric).seed(seed)
                    .publishLogLimit(0).fidelity(fidelity()).restartPlan(restartPlan())
                    .prefillMsPerBlock(prefillMsPerBlock).decodeMsPerToken(decodeMsPerToken).maxRunning(maxRunning)
                    .tokenizerDir(tokenizer).build());
        }
        return out;
    }

    /** The preset's fidelity with the single-knob options applied. */
    Fidelity fidelity() {
        Fidelity f = fidelity.fidelity();
        if (replayServing != null) {
            f = f.withReplayServing(replayServing);
        }
        if (replayHwm != null) {
            f = f.withReplaySndHwm(replayHwm);
        }
        if (replayPaceMicros != null) {
            f = f.withReplayPace(Duration.ofNanos(replayPaceMicros * 1_000));
        }
        if (seqFrame != null) {
            f = f.withSeqFrame(seqFrame);
        }
        if (heartbeatMillis != null) {
            f = f.withHeartbeat(Duration.ofMillis(heartbeatMillis));
        }
        return f;
    }

    /** The preset's restart with the restart options applied; a changed style brings its own default downtime. */
    RestartPlan restartPlan() {
        RestartPlan base = fidelity.restartPlan();
        RestartPlan.Style style = restartStyle != null ? restartStyle : base.style();
        Duration downtime;
        if (restartDowntimeMillis != null) {
            downtime = Duration.ofMillis(restartDowntimeMillis);
        } else if (style == base.style()) {
            downtime = base.downtime();
        } else {
            downtime = style == RestartPlan.Style.KEEP_SOCKETS ? Duration.ZERO
                    : FidelityPreset.VLLM.restartPlan().downtime();
        }
        return new RestartPlan(style, downtime, restartBurst != null ? restartBurst : base.burst());
    }

    /** Every {@code --restart-every} seconds, one random pod restarts as its restart plan says. */
    private void restartPeriodically(SimFleet fleet) {
        SplittableRandom random = new SplittableRandom(seed ^ 0x7E57A87L);
        while (running) {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(restartEvery));
                SimPod pod = fleet.pod(random.nextInt(fleet.size()));
                LOG.info("restarting {}: {}", pod.id(), pod.config().restartPlan());
                pod.restart();
            } catch (InterruptedException | IllegalStateException e) {
                if (running) {
                    LOG.warn("restarter stopped", e);
                }
                return;
            }
        }
    }

    private void drive(SimFleet fleet) {
        WorkloadGenerator.Settings settings = WorkloadGenerator.Settings.defaults();
        if (!loras.isEmpty()) {
            settings = settings.withLoras(loras, loraProbability);
        }
        WorkloadGenerator workload = new WorkloadGenerator(settings, seed);
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        long interval = (long) (1e9 / (rate * fleet.size()));
        long next = System.nanoTime();
        long lastReport = next;
        long served = 0;
        while (running) {
            SimPod pod = fleet.pod(random.nextInt(fleet.size()));
            int rank = random.nextInt(pod.ranks());
            WorkloadGenerator.Request request = workload.next();
            if (pod.isUp(rank)) { // a restarting pod takes no requests
                pod.serve(rank, request.tokens(), request.lora());
                int running = 1 + random.nextInt(8);
                // Random load, each running request holding as many blocks as this prompt.
                pod.setLoad(rank, running, random.nextInt(4),
                        running * (request.tokens().length / pod.config().blockSize()));
                served++;
            }
            next += interval;
            long now = System.nanoTime();
            if (next > now) {
                LockSupport.parkNanos(next - now);
            } else if (now - next > 1_000_000_000L) {
                next = now; // fell behind by more than a second: do not try to catch up in a burst
            }
            if (now - lastReport > 10_000_000_000L) {
                lastReport = now;
                report(fleet, served);
            }
        }
        report(fleet, served);
    }

    private static void report(SimFleet fleet, long served) {
        long published = 0;
        double usage = 0;
        double fill = 0;
        int workers = 0;
        for (SimPod p : fleet.pods()) {
            for (WorkerMetrics m : p.workerMetrics()) {
                published += m.published();
                usage += m.usage();
                fill += (double) m.cachedBlocks() / m.capacityBlocks();
                workers++;
            }
        }
        int n = Math.max(1, workers);
        LOG.info("served {} requests, published {} batches, mean KV usage {}%, mean cache fill {}%", served,
                published, Math.round(100 * usage / n), Math.round(100 * fill / n));
    }
}
