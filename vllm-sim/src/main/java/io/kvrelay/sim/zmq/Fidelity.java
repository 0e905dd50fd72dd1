package io.kvrelay.sim.zmq;

import java.time.Duration;
import java.util.Objects;

/**
 * How closely a publisher imitates vLLM where vLLM is harsher than a test would like. {@link #roomy()} is the
 * simulator's historical behaviour and the default; {@link #vllm()} is released vLLM; {@link #vllmSnapshot()} adds the
 * unreleased snapshot variant's 24-byte sequence frame and heartbeats.
 *
 * @param replayServing     which thread serves replay: its own (roomy) or the publishing one (vLLM: no publishing
 *                          while a replay is sent)
 * @param replaySndHwm      the replay ROUTER's send high-water mark in messages: vLLM keeps ZeroMQ's default 1000,
 *                          so replies beyond what the peer's pipe holds are dropped; {@link #WHOLE_BUFFER} (-1) sizes
 *                          it to the replay buffer; 0 means unlimited (ZeroMQ's meaning)
 * @param replayPace        the least time between two replies of one replay (0 = as fast as the socket takes them);
 *                          vLLM was seen taking 0.4 s to 12 s for 30,000 replies
 * @param seqFrame          8-byte sequence frames (vLLM) or 24 bytes with the publisher id (snapshot variant)
 * @param heartbeatInterval an idle publisher sends an empty batch after this long without publishing; zero = never
 */
public record Fidelity(ReplayServing replayServing, int replaySndHwm, Duration replayPace, SeqFrame seqFrame,
                       Duration heartbeatInterval) {
    /** {@link #replaySndHwm} value: as many messages as the replay buffer holds, plus the end marker. */
    public static final int WHOLE_BUFFER = -1;
    /** ZeroMQ's default send high-water mark, which vLLM's replay ROUTER keeps. */
    public static final int ZMQ_DEFAULT_HWM = 1000;

    public Fidelity {
        Objects.requireNonNull(replayServing, "replayServing");
        Objects.requireNonNull(replayPace, "replayPace");
        Objects.requireNonNull(seqFrame, "seqFrame");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        if (replaySndHwm < WHOLE_BUFFER) {
            throw new IllegalArgumentException("replaySndHwm must be >= 0, or -1 for the whole buffer, got "
                    + replaySndHwm);
        }
        if (replayPace.isNegative()) {
            throw new IllegalArgumentException("replayPace must not be negative, got " + replayPace);
        }
        if (heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must not be negative (zero = off), got "
                    + heartbeatInterval);
        }
    }

    /** The simulator's kind mode: replay on its own thread, a ROUTER that holds the whole buffer, 8-byte seq. */
    public static Fidelity roomy() {
        return new Fidelity(ReplayServing.OWN_THREAD, WHOLE_BUFFER, Duration.ZERO, SeqFrame.SEQ8, Duration.ZERO);
    }

    /** Released vLLM: replay served by the publishing thread through a ROUTER at ZeroMQ's default HWM of 1000. */
    public static Fidelity vllm() {
        return new Fidelity(ReplayServing.PUBLISHING_THREAD, ZMQ_DEFAULT_HWM, Duration.ZERO, SeqFrame.SEQ8,
                Duration.ZERO);
    }

    /** {@link #vllm()} plus the snapshot variant: 24-byte sequence frames and a heartbeat every second when idle. */
    public static Fidelity vllmSnapshot() {
        return vllm().withSeqFrame(SeqFrame.SEQ8_PUBLISHER_ID).withHeartbeat(Duration.ofSeconds(1));
    }

    public Fidelity withReplayServing(ReplayServing v) {
        return new Fidelity(v, replaySndHwm, replayPace, seqFrame, heartbeatInterval);
    }

    public Fidelity withReplaySndHwm(int v) {
        return new Fidelity(replayServing, v, replayPace, seqFrame, heartbeatInterval);
    }

    public Fidelity withReplayPace(Duration v) {
        return new Fidelity(replayServing, replaySndHwm, v, seqFrame, heartbeatInterval);
    }

    public Fidelity withSeqFrame(SeqFrame v) {
        return new Fidelity(replayServing, replaySndHwm, replayPace, v, heartbeatInterval);
    }

    public Fidelity withHeartbeat(Duration v) {
        return new Fidelity(replayServing, replaySndHwm, replayPace, seqFrame, v);
    }

    /** The ROUTER's send HWM for a replay buffer of {@code bufferSteps}. */
    int routerSndHwm(int bufferSteps) {
        return replaySndHwm == WHOLE_BUFFER ? bufferSteps + 2 : replaySndHwm;
    }
}
