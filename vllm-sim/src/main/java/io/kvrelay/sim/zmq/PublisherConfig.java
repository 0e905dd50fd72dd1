package io.kvrelay.sim.zmq;

import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadLayout;
import java.util.Objects;

/**
 * One worker's publisher settings, mirroring vLLM's {@code KVEventsConfig} for a given data-parallel rank: the PUB
 * binds {@code pubBasePort + dpRank} and the replay ROUTER {@code replayBasePort + dpRank}, as vLLM offsets both
 * endpoints by the rank.
 *
 * @param host           interface to bind: an address, or {@code *} for all (vLLM's {@code tcp://*:5557})
 * @param pubBasePort    0 binds an ephemeral port (rank offset then does not apply: callers needing base+rank pick
 *                       a free run first, as {@code SimPod} does)
 * @param replayBasePort null for no replay service (vLLM's {@code replay_endpoint=None}); 0 for ephemeral
 * @param topic          first frame of every message, UTF-8 (vLLM default ""; llm-d uses {@code kv@<ip>@<model>})
 * @param sndHwm         PUB send high-water mark in messages (vLLM default 100000); beyond it PUB drops silently
 * @param replayBufferSteps how many batches the replay buffer keeps (vLLM {@code buffer_steps}, default 10000)
 * @param logLimit       batches kept in the publish log; 0 disables it (benchmarks)
 * @param fidelity       where to be as harsh as vLLM: replay serving and HWM, pacing, seq frame, heartbeat
 */
public record PublisherConfig(String host, int pubBasePort, Integer replayBasePort, int dpRank, String topic,
                              PayloadLayout layout, HashEncoding hashEncoding, ReplayReplyShape replyShape,
                              int sndHwm, int replayBufferSteps, int logLimit, Fidelity fidelity) {
    public PublisherConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(hashEncoding, "hashEncoding");
        Objects.requireNonNull(replyShape, "replyShape");
        Objects.requireNonNull(fidelity, "fidelity");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank (use * to bind every interface)");
        }
        if (dpRank < 0) {
            throw new IllegalArgumentException("dpRank must be >= 0, got " + dpRank);
        }
        checkPort("pubBasePort", pubBasePort, dpRank);
        if (replayBasePort != null) {
            checkPort("replayBasePort", replayBasePort, dpRank);
        }
        if (sndHwm < 0) {
            throw new IllegalArgumentException("sndHwm must be >= 0 (0 = unlimited), got " + sndHwm);
        }
        if (replayBufferSteps <= 0) {
            throw new IllegalArgumentException("replayBufferSteps must be > 0, got " + replayBufferSteps);
        }
        if (logLimit < 0) {
            throw new IllegalArgumentException("logLimit must be >= 0 (0 = off), got " + logLimit);
        }
    }

    /**
     * Loopback, ephemeral ports, replay on, current vLLM wire (map events, int hashes, topic in replay), roomy
     * {@link Fidelity}.
     */
    public static PublisherConfig loopback(String topic) {
        return new PublisherConfig("127.0.0.1", 0, 0, 0, topic, PayloadLayout.MAP_EVENTS, HashEncoding.INT,
                ReplayReplyShape.WITH_TOPIC, 100_000, 10_000, 0,
                Fidelity.roomy());
    }

    public PublisherConfig withPorts(int pubBase, Integer replayBase) {
        return new PublisherConfig(host, pubBase, replayBase, dpRank, topic, layout, hashEncoding, replyShape, sndHwm,
                replayBufferSteps, logLimit, fidelity);
    }

    public PublisherConfig withRank(int rank) {
        return new PublisherConfig(host, pubBasePort, replayBasePort, rank, topic, layout, hashEncoding, replyShape,
                sndHwm, replayBufferSteps, logLimit, fidelity);
    }

    public PublisherConfig withLayout(PayloadLayout newLayout, HashEncoding newEncoding, ReplayReplyShape newShape) {
        return new PublisherConfig(host, pubBasePort, replayBasePort, dpRank, topic, newLayout, newEncoding, newShape,
                sndHwm, replayBufferSteps, logLimit, fidelity);
    }

    public PublisherConfig withHwmAndBuffer(int newSndHwm, int newBufferSteps) {
        return new PublisherConfig(host, pubBasePort, replayBasePort, dpRank, topic, layout, hashEncoding, replyShape,
                newSndHwm, newBufferSteps, logLimit, fidelity);
    }

    public PublisherConfig withLogLimit(int newLogLimit) {
        return new PublisherConfig(host, pubBasePort, replayBasePort, dpRank, topic, layout, hashEncoding, replyShape,
                sndHwm, replayBufferSteps, newLogLimit, fidelity);
    }

    public PublisherConfig withFidelity(Fidelity newFidelity) {
        return new PublisherConfig(host, pubBasePort, replayBasePort, dpRank, topic, layout, hashEncoding, replyShape,
                sndHwm, replayBufferSteps, logLimit, newFidelity);
    }

    /** The port the PUB binds: base + rank, or 0 (ephemeral) when the base is 0. */
    public int pubPort() {
        return pubBasePort == 0 ? 0 : pubBasePort + dpRank;
    }

    /** The port the replay ROUTER binds, or null when replay is off. */
    public Integer replayPort() {
        return replayBasePort == null ? null : replayBasePort == 0 ? 0 : replayBasePort + dpRank;
    }

    private static void checkPort(String what, int base, int rank) {
        if (base < 0 || base > 65535) {
            throw new IllegalArgumentException(what + " must be 0..65535, got " + base);
        }
        if (base != 0 && base + rank > 65535) {
            throw new IllegalArgumentException(what + " " + base + " + dpRank " + rank + " exceeds 65535");
        }
    }
}
