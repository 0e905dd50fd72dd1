package io.kvrelay.sim;

import io.kvrelay.sim.cache.BlockHasher;
import io.kvrelay.sim.cache.CachedBlock;
import io.kvrelay.sim.cache.KvCacheModel;
import io.kvrelay.sim.metrics.SimMetricsServer;
import io.kvrelay.sim.metrics.WorkerMetrics;
import io.kvrelay.sim.serving.OpenAiApi;
import io.kvrelay.sim.serving.PromptTokenizer;
import io.kvrelay.sim.serving.ServingEngine;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.KvEventPublisher;
import io.kvrelay.sim.zmq.PublishLog;
import io.kvrelay.sim.zmq.PublishedBatch;
import io.kvrelay.sim.zmq.ReplayStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQException;

/**
 * A simulated vLLM pod: one worker per data-parallel rank, each with its own KV cache model and KV-event publisher
 * (PUB on {@code pubBase + rank}, replay ROUTER on {@code replayBase + rank}), and an optional serving port with
 * {@code /metrics} and vLLM's OpenAI API (served by a {@link ServingEngine} with a time model).
 *
 * <p>Thread-safe: each rank's operations are serialised on that worker; different ranks run in parallel.
 */
public final class SimPod implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SimPod.class);

    private final SimPodConfig config;
    private final List<SimWorker> workers = new ArrayList<>();
    private final PodRestarter restarter;
    private PodSockets sockets;
    private SimMetricsServer serving;
    private ServingEngine engine;
    private boolean started;
    private boolean closed;

    public SimPod(SimPodConfig config) {
        this.config = config;
        BlockHasher hasher = new BlockHasher(config.seed());
        for (int rank = 0; rank < config.dpRanks(); rank++) {
            PublishLog log = config.publishLogLimit() > 0 ? new PublishLog(config.publishLogLimit()) : null;
            workers.add(new SimWorker(rank, new KvCacheModel(config.capacityBlocks(), config.blockSize(), hasher), log,
                    config.seed()));
        }
        this.restarter = new PodRestarter(config.id(), workers, this::rebind);
    }

    /** Creates and starts a pod. */
    public static SimPod start(SimPodConfig config) {
        return new SimPod(config).start();
    }

    /**
     * Binds every rank's sockets (picking free runs of ports where the config says 0) and the serving port.
     *
     * @throws ZMQException if a configured port is taken
     */
    public synchronized SimPod start() {
        if (started) {
            throw new IllegalStateException("pod " + config.id() + " already started");
        }
        started = true;
        sockets = new PodSockets(config);
        try {
            sockets.bindAll(workers);
            if (config.servingPort() != null) {
                engine = new ServingEngine(this, config.timeModel());
                OpenAiApi api = new OpenAiApi(engine, config.model(), maxModelLen(),
                        PromptTokenizer.of(config.tokenizerDir()));
                serving = new SimMetricsServer(config.model(), config.kvUsageMetric(), this::workerMetrics,
                        config.host(), config.servingPort(), config.serveMetrics(), api::register);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("pod {} up: {} rank(s), pub {}, replay {}, layout {}", config.id(), workers.size(),
                sockets.pubBase(), sockets.replayBase(), config.layout());
        return this;
    }

    /** Serves a prompt on {@code rank}: runs the cache model and publishes the step's batch, if it had events. */
    public Optional<PublishedBatch> serve(int rank, int[] promptTokens, String lora) {
        return worker(rank).serve(promptTokens, lora).batch();
    }

    /** {@link #serve} with the cache model's own counts: cacheable, hit and stored blocks. */
    public ServedPrompt serveCounted(int rank, int[] promptTokens, String lora) {
        return worker(rank).serve(promptTokens, lora);
    }

    /** vLLM's prefix-cache reset on {@code rank}: the cache empties and one AllBlocksCleared is published. */
    public PublishedBatch clear(int rank) {
        return worker(rank).clear();
    }

    /** Evicts the {@code blocks} least recently used blocks on {@code rank} and publishes the BlockRemoved. */
    public Optional<PublishedBatch> evict(int rank, int blocks) {
        return worker(rank).evict(blocks);
    }

    /**
     * Publishes arbitrary events on {@code rank} (e.g. an unknown tag) without touching the cache model, so
     * {@link #cacheContents(int)} does not follow them.
     */
    public PublishedBatch publishEvents(int rank, List<? extends SimEvent> events) {
        return worker(rank).publishEvents(events);
    }

    /** Publishes a pre-encoded payload on {@code rank} (benchmarks); returns the seq used. */
    public long publishRaw(int rank, byte[] payload) {
        return worker(rank).publishRaw(payload);
    }

    /** Serves {@code n} random prompts back to back on {@code rank}; with a small sndHwm the PUB drops some. */
    public int overflow(int rank, int n) {
        return worker(rank).overflow(n);
    }

    /** The next {@code n} batches of {@code rank} skip the PUB but enter the replay buffer and the log. */
    public void withholdNext(int rank, int n) {
        publisher(rank).withholdNext(n);
    }

    /**
     * A restart of every rank as the config's {@link SimPodConfig#restartPlan()} says; by default
     * ({@link RestartPlan#keepSockets()}) the sockets stay bound: caches emptied without AllBlocksCleared, seq back to
     * 0, replay buffers emptied, epoch + 1.
     */
    public void restart() {
        restart(config.restartPlan());
    }

    /**
     * A vLLM restart; with {@code rebindSockets} the sockets are closed and bound again on the same ports at once, so
     * connected subscribers and replay clients see the disconnect and must reconnect, as after a real restart.
     */
    public void restart(boolean rebindSockets) {
        restart(rebindSockets ? RestartPlan.processExit(Duration.ZERO, 0) : RestartPlan.keepSockets());
    }

    /**
     * Restarts every rank and returns once the new incarnations are up and have published their burst. With
     * {@link RestartPlan.Style#PROCESS_EXIT} every rank closes both sockets (caches lost, no event), the pod stays
     * down for the downtime (operations on it wait meanwhile; {@link #isUp} is false), then each rank binds the same
     * ports with a new publisher: seq 0, empty replay buffer, epoch + 1, new publisher id, the same publish log.
     *
     * @throws IllegalStateException if the pod is closed meanwhile, or the thread is interrupted during the downtime
     */
    public void restart(RestartPlan plan) {
        requireStarted();
        restarter.restart(plan);
    }

    /** {@link #restart(RestartPlan)} on a thread of its own; the future completes when the pod is up again. */
    public CompletableFuture<Void> restartAsync(RestartPlan plan) {
        requireStarted();
        return restarter.restartAsync(plan);
    }

    /** False while {@code rank} is down during a restart (or before start / after close). */
    public boolean isUp(int rank) {
        return worker(rank).isUp();
    }

    /** The restart count of {@code rank}'s current (or, while down, last) incarnation. */
    public int epoch(int rank) {
        return worker(rank).epoch();
    }

    /** The random id of {@code rank}'s current (or, while down, last) incarnation. */
    public UUID publisherId(int rank) {
        return worker(rank).publisherId();
    }

    /** {@code rank}'s replay counters for its current incarnation; readable while a replay is being sent. */
    public ReplayStats replayStats(int rank) {
        return publisher(rank).replayStats();
    }

    /** Ground truth of {@code rank}'s cache: every cached block by hash, least recently used first. */
    public Map<Long, CachedBlock> cacheContents(int rank) {
        return worker(rank).contents();
    }

    /** Every batch {@code rank} published (bounded by {@code publishLogLimit}), or null when the log is off. */
    public PublishLog publishLog(int rank) {
        return worker(rank).log();
    }

    /**
     * {@code rank}'s publisher, for seq, epoch, replay counters and {@code awaitSubscribers}. A restart that exits
     * the process replaces it: fetch it again afterwards.
     *
     * @throws IllegalStateException while the rank is down during a restart
     */
    public KvEventPublisher publisher(int rank) {
        requireStarted();
        KvEventPublisher p = worker(rank).publisher();
        if (p == null) {
            throw new IllegalStateException("rank " + rank + " of pod " + config.id() + " is down (restarting)");
        }
        return p;
    }

    /** Waits until {@code n} subscribers are connected to {@code rank}'s PUB (see the publisher's method). */
    public boolean awaitSubscribers(int rank, int n, Duration timeout) {
        return publisher(rank).awaitSubscribers(n, timeout);
    }

    /**
     * Sets the request gauges {@code /metrics} reports for {@code rank} ({@code vllm:num_requests_running} and
     * {@code _waiting}); the blocks the running requests hold, hence the KV usage, stay as they are.
     *
     * @throws IllegalArgumentException if either is negative
     */
    public void setLoad(int rank, int running, int waiting) {
        worker(rank).requests().set(running, waiting);
    }

    /**
     * Sets the request gauges and the blocks the running requests hold on {@code rank} (at most the capacity counts:
     * the KV usage is {@code heldBlocks / capacity}, capped at 1).
     *
     * @throws IllegalArgumentException if any is negative
     */
    public void setLoad(int rank, int running, int waiting, int heldBlocks) {
        worker(rank).requests().set(running, waiting, heldBlocks);
    }

    /**
     * A request starts running on {@code rank}: the running count goes up by one, and the request holds its prompt's
     * {@code promptBlocks} blocks (at most the capacity) until {@link #endRequest(int, int)}. That is the KV usage
     * vLLM reports: blocks referenced by running requests, not cached ones it could evict.
     *
     * @throws IllegalArgumentException if {@code promptBlocks} is negative
     */
    public void beginRequest(int rank, int promptBlocks) {
        SimWorker w = worker(rank);
        w.requests().add(1, 0, w.blocksHeldBy(promptBlocks));
    }

    /**
     * A running request on {@code rank} finished: the running count goes down by one and its blocks are released (pass
     * the {@code promptBlocks} it began with). They stay cached, as in vLLM, but no longer count as used.
     *
     * @throws IllegalStateException if no request is running, or fewer blocks are held
     */
    public void endRequest(int rank, int promptBlocks) {
        SimWorker w = worker(rank);
        w.requests().add(-1, 0, -w.blocksHeldBy(promptBlocks));
    }

    /**
     * A waiting request on {@code rank} is admitted: waiting - 1, running + 1, holding {@code promptBlocks} blocks as
     * {@link #beginRequest} does, all in one step so a scrape never sees it twice or not at all.
     *
     * @throws IllegalStateException if no request is waiting
     */
    public void admitRequest(int rank, int promptBlocks) {
        SimWorker w = worker(rank);
        w.requests().add(1, -1, w.blocksHeldBy(promptBlocks));
    }

    /**
     * The longest prompt plus completion the OpenAI API accepts (vLLM's {@code max_model_len}): what one rank's KV
     * cache holds, {@code capacityBlocks × blockSize} tokens.
     */
    public int maxModelLen() {
        return (int) Math.min(Integer.MAX_VALUE, (long) config.capacityBlocks() * config.blockSize());
    }

    /** The engine behind the OpenAI API of the serving port, or null without a serving port. */
    public synchronized ServingEngine servingEngine() {
        return engine;
    }

    /**
     * Moves {@code rank}'s running and waiting counts together (a request admitted from the queue is
     * {@code (+1, -1)}).
     *
     * @throws IllegalStateException if either would become negative; then neither changes
     */
    public void addLoad(int rank, int runningDelta, int waitingDelta) {
        worker(rank).requests().add(runningDelta, waitingDelta);
    }

    /** Takes {@code /metrics} down (404) or brings it back, as a pod whose metrics become unreachable. */
    public synchronized void serveMetrics(boolean on) {
        requireStarted();
        if (serving == null) {
            throw new IllegalStateException("pod " + config.id() + " has no serving port");
        }
        serving.serveMetrics(on);
    }

    public List<WorkerMetrics> workerMetrics() {
        return workers.stream().map(SimWorker::metrics).toList();
    }

    public int pubPort(int rank) {
        return publisher(rank).pubPort();
    }

    /** The replay port of {@code rank}, or -1 when replay is off. */
    public int replayPort(int rank) {
        return publisher(rank).replayPort();
    }

    public String pubEndpoint(int rank) {
        return publisher(rank).pubEndpoint();
    }

    /** The replay endpoint of {@code rank}, or null when replay is off. */
    public String replayEndpoint(int rank) {
        return publisher(rank).replayEndpoint();
    }

    /** The actual PUB base port (rank r binds base + r). */
    public synchronized int pubBasePort() {
        requireStarted();
        return sockets.pubBase();
    }

    /** The actual replay base port, or null when replay is off. */
    public synchronized Integer replayBasePort() {
        requireStarted();
        return sockets.replayBase();
    }

    /** The actual serving port ({@code /metrics}), or -1 without one. */
    public synchronized int servingPort() {
        return serving == null ? -1 : serving.port();
    }

    public SimPodConfig config() {
        return config;
    }

    public String id() {
        return config.id();
    }

    public int ranks() {
        return workers.size();
    }

    /** A new publisher on {@code w}'s ports for its next epoch, unless the pod was closed meanwhile. */
    private synchronized KvEventPublisher rebind(SimWorker w) {
        requireStarted();
        return sockets.rebind(w.rank(), w.epoch() + 1, w.log());
    }

    private SimWorker worker(int rank) {
        if (rank < 0 || rank >= workers.size()) {
            throw new IllegalArgumentException("rank must be 0.." + (workers.size() - 1) + ", got " + rank);
        }
        return workers.get(rank);
    }

    private synchronized void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException("pod " + config.id() + (closed ? " is closed" : " is not started"));
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.forEach(SimWorker::stopReplayService);
        workers.forEach(SimWorker::release);
        if (serving != null) {
            serving.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (sockets != null) {
            sockets.detachAll(workers);
            sockets.close();
        }
    }
}
