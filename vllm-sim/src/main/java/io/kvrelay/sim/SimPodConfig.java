package io.kvrelay.sim;

import io.kvrelay.sim.metrics.KvUsageMetric;
import io.kvrelay.sim.serving.TimeModel;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.zmq.Fidelity;
import io.kvrelay.sim.zmq.ReplayReplyShape;
import java.util.Objects;

/**
 * One simulated vLLM pod: its identity, its ZeroMQ endpoints (every data-parallel rank binds base + rank, as vLLM
 * does), the wire era it speaks and its KV cache. Ports may be 0 for "pick a free run of ports"; the pod then reports
 * the actual ports.
 *
 * @param replayBasePort  null: no replay service (vLLM's {@code replay_endpoint=None})
 * @param servingPort     the HTTP port vLLM serves its API and {@code /metrics} on; null: no HTTP endpoint at all;
 *                        0: any free port
 * @param serveMetrics    false: the serving port answers {@code /metrics} with 404, as a pod whose metrics are not
 *                        reachable (can be changed while running, {@link SimPod#serveMetrics(boolean)})
 * @param kvUsageMetric   the KV-usage gauge's name: vLLM's current one, or the name older releases used
 * @param topic           the first frame of every message
 * @param seed            the engine hash seed (like {@code PYTHONHASHSEED}: pods with equal seeds hash equal
 *                        prefixes equally) and the seed of {@link SimPod#overflow}'s random prompts
 * @param publishLogLimit batches kept per worker in the publish log; 0 turns the log off (benchmarks)
 * @param fidelity        where every rank's publisher is as harsh as vLLM (replay serving, HWM, pacing, seq frame,
 *                        heartbeat); {@link Fidelity#roomy()} by default
 * @param restartPlan     what {@link SimPod#restart()} does; {@link RestartPlan#keepSockets()} by default
 * @param tokenizerDir    a Hugging Face tokenizer (tokenizer.json, tokenizer_config.json's chat template) the OpenAI
 *                        API tokenizes with, as vLLM does with the model's; null = the simulator's own tokenizer
 * @param timeModel       how long the OpenAI API on the serving port takes: prefill per uncached block, decode per
 *                        token, requests running at once per rank ({@link TimeModel#defaults()})
 */
public record SimPodConfig(String namespace, String service, String pod, String host, int pubBasePort,
                           Integer replayBasePort, int dpRanks, PayloadLayout layout, HashEncoding hashEncoding,
                           ReplayReplyShape replyShape, int sndHwm, int replayBufferSteps, int capacityBlocks,
                           int blockSize, String topic, String model, Integer servingPort,
                           boolean serveMetrics, KvUsageMetric kvUsageMetric, long seed, int publishLogLimit,
                           Fidelity fidelity, RestartPlan restartPlan, TimeModel timeModel, String tokenizerDir) {

    public SimPodConfig {
        requireSegment("namespace", namespace);
        requireSegment("service", service);
        requireSegment("pod", pod);
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(hashEncoding, "hashEncoding");
        Objects.requireNonNull(replyShape, "replyShape");
        Objects.requireNonNull(topic, "topic (use \"\" for vLLM's default)");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(kvUsageMetric, "kvUsageMetric");
        Objects.requireNonNull(fidelity, "fidelity");
        Objects.requireNonNull(restartPlan, "restartPlan");
        Objects.requireNonNull(timeModel, "timeModel");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank (use * to bind every interface)");
        }
        if (dpRanks < 1 || dpRanks > 256) {
            throw new IllegalArgumentException("dpRanks must be 1..256, got " + dpRanks);
        }
        checkBase("pubBasePort", pubBasePort, dpRanks);
        if (replayBasePort != null) {
            checkBase("replayBasePort", replayBasePort, dpRanks);
            if (pubBasePort != 0 && replayBasePort != 0 && pubBasePort < replayBasePort + dpRanks
                    && replayBasePort < pubBasePort + dpRanks) {
                throw new IllegalArgumentException("pub ports " + pubBasePort + ".." + (pubBasePort + dpRanks - 1)
                        + " overlap replay ports " + replayBasePort + ".." + (replayBasePort + dpRanks - 1));
            }
        }
        if (servingPort != null && (servingPort < 0 || servingPort > 65535)) {
            throw new IllegalArgumentException("servingPort must be 0..65535 (0 = free port) or null, got "
                    + servingPort);
        }
        if (sndHwm < 0) {
            throw new IllegalArgumentException("sndHwm must be >= 0 (0 = unlimited), got " + sndHwm);
        }
        if (replayBufferSteps <= 0) {
            throw new IllegalArgumentException("replayBufferSteps must be > 0, got " + replayBufferSteps);
        }
        if (capacityBlocks <= 0) {
            throw new IllegalArgumentException("capacityBlocks must be > 0, got " + capacityBlocks);
        }
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
        }
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (publishLogLimit < 0) {
            throw new IllegalArgumentException("publishLogLimit must be >= 0 (0 = off), got " + publishLogLimit);
        }
    }

    /** {@code namespace/service/pod}, the pod key the rest of kvrelay uses. */
    public String id() {
        return namespace + "/" + service + "/" + pod;
    }

    /** A builder with loopback, free ports, replay on and the current vLLM wire (see {@link Builder} defaults). */
    public static Builder builder(String pod) {
        return new Builder(pod);
    }

    public Builder toBuilder() {
        return new Builder(pod).namespace(namespace).service(service).host(host).pubBasePort(pubBasePort)
                .replayBasePort(replayBasePort).dpRanks(dpRanks).layout(layout).hashEncoding(hashEncoding)
                .replyShape(replyShape).sndHwm(sndHwm).replayBufferSteps(replayBufferSteps)
                .capacityBlocks(capacityBlocks).blockSize(blockSize).topic(topic).model(model)
                .servingPort(servingPort).serveMetrics(serveMetrics).kvUsageMetric(kvUsageMetric).seed(seed)
                .publishLogLimit(publishLogLimit).fidelity(fidelity).restartPlan(restartPlan).timeModel(timeModel)
                .tokenizerDir(tokenizerDir);
    }

    private static void requireSegment(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.indexOf('/') >= 0) {
            throw new IllegalArgumentException(what + " must be non-empty and contain no '/', got '" + value + "'");
        }
    }

    private static void checkBase(String what, int base, int ranks) {
        if (base < 0 || base > 65535) {
            throw new IllegalArgumentException(what + " must be 0..65535 (0 = free port), got " + base);
        }
        if (base != 0 && base + ranks - 1 > 65535) {
            throw new IllegalArgumentException(what + " " + base + " + " + ranks + " ranks exceeds 65535");
        }
    }

    /**
     * Defaults: namespace "default", service "vllm", host 127.0.0.1, free pub and replay ports, 1 rank, MAP_EVENTS
     * with int hashes and the topic frame in replay (vLLM v0.26+), vLLM's hwm 100000 and buffer_steps 10000, 4096
     * blocks of 16 tokens, model "sim-model", topic {@code kv@<pod>@<model>} (llm-d's convention), no serving port
     * (metrics served with the current KV-usage name once one is set), seed 42, publish log of 100000 batches per
     * worker, the {@link FidelityPreset#ROOMY} fidelity and restart, and {@link TimeModel#defaults()}.
     */
    public static final class Builder {
        private String namespace = "default";
        private String service = "vllm";
        private String pod;
        private String host = "127.0.0.1";
        private int pubBasePort;
        private Integer replayBasePort = 0;
        private int dpRanks = 1;
        private PayloadLayout layout = PayloadLayout.MAP_EVENTS;
        private HashEncoding hashEncoding = HashEncoding.INT;
        private ReplayReplyShape replyShape = ReplayReplyShape.WITH_TOPIC;
        private int sndHwm = 100_000;
        private int replayBufferSteps = 10_000;
        private int capacityBlocks = 4096;
        private int blockSize = 16;
        private String topic;
        private String model = "sim-model";
        private Integer servingPort;
        private boolean serveMetrics = true;
        private KvUsageMetric kvUsageMetric = KvUsageMetric.KV_CACHE_USAGE_PERC;
        private long seed = 42;
        private int publishLogLimit = 100_000;
        private Fidelity fidelity = FidelityPreset.ROOMY.fidelity();
        private RestartPlan restartPlan = FidelityPreset.ROOMY.restartPlan();
        private String tokenizerDir;
        private double prefillMsPerBlock = TimeModel.defaults().prefillMsPerBlock();
        private double decodeMsPerToken = TimeModel.defaults().decodeMsPerToken();
        private int maxRunning = TimeModel.defaults().maxRunning();

        private Builder(String pod) {
            this.pod = pod;
        }

        public Builder namespace(String v) { namespace = v; return this; }
        public Builder service(String v) { service = v; return this; }
        public Builder pod(String v) { pod = v; return this; }
        public Builder host(String v) { host = v; return this; }
        public Builder pubBasePort(int v) { pubBasePort = v; return this; }
        /** null turns replay off. */
        public Builder replayBasePort(Integer v) { replayBasePort = v; return this; }
        public Builder dpRanks(int v) { dpRanks = v; return this; }
        public Builder layout(PayloadLayout v) { layout = v; return this; }
        public Builder hashEncoding(HashEncoding v) { hashEncoding = v; return this; }
        public Builder replyShape(ReplayReplyShape v) { replyShape = v; return this; }
        public Builder sndHwm(int v) { sndHwm = v; return this; }
        public Builder replayBufferSteps(int v) { replayBufferSteps = v; return this; }
        public Builder capacityBlocks(int v) { capacityBlocks = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        /** null restores the default {@code kv@<pod>@<model>}. */
        public Builder topic(String v) { topic = v; return this; }
        public Builder model(String v) { model = v; return this; }
        /** null: no HTTP endpoint (and no metrics); 0: any free port. */
        public Builder servingPort(Integer v) { servingPort = v; return this; }
        /** The earlier name of {@link #servingPort}, kept for callers written before the serving port had one. */
        public Builder metricsPort(Integer v) { return servingPort(v); }
        /** false: {@code /metrics} answers 404 on the serving port. */
        public Builder serveMetrics(boolean v) { serveMetrics = v; return this; }
        public Builder kvUsageMetric(KvUsageMetric v) { kvUsageMetric = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder publishLogLimit(int v) { publishLogLimit = v; return this; }
        public Builder fidelity(Fidelity v) { fidelity = v; return this; }
        public Builder restartPlan(RestartPlan v) { restartPlan = v; return this; }
        /** Prefill time per uncached block of a served prompt, in ms (≥ 0; default 2). */
        public Builder prefillMsPerBlock(double v) { prefillMsPerBlock = v; return this; }
        /** Time of one decode step (one token of every running request), in ms (≥ 0; default 5). */
        public Builder decodeMsPerToken(double v) { decodeMsPerToken = v; return this; }
        /** Requests running at once per rank (vLLM's {@code --max-num-seqs}; > 0; default 256). */
        public Builder maxRunning(int v) { maxRunning = v; return this; }
        /** All three serving times at once. */
        public Builder timeModel(TimeModel v) {
            return prefillMsPerBlock(v.prefillMsPerBlock()).decodeMsPerToken(v.decodeMsPerToken())
                    .maxRunning(v.maxRunning());
        }
        /** Sets both the fidelity and the restart plan of {@code preset}; later calls may override either. */
        public Builder preset(FidelityPreset preset) {
            return fidelity(preset.fidelity()).restartPlan(preset.restartPlan());
        }

        public SimPodConfig build() {
            String t = topic != null ? topic : "kv@" + pod + "@" + model;
            return new SimPodConfig(namespace, service, pod, host, pubBasePort, replayBasePort, dpRanks, layout,
                    hashEncoding, replyShape, sndHwm, replayBufferSteps, capacityBlocks, blockSize, t, model,
                    servingPort, serveMetrics, kvUsageMetric, seed, publishLogLimit, fidelity, restartPlan,
                    new TimeModel(prefillMsPerBlock, decodeMsPerToken, maxRunning), tokenizerDir);
        }

        /** A Hugging Face tokenizer directory for the OpenAI API (null: the simulator's own tokenizer). */
        public Builder tokenizerDir(String v) {
            tokenizerDir = v;
            return this;
        }
    }
}
