package io.kvrelay.sim;

import io.kvrelay.sim.zmq.Fidelity;
import java.time.Duration;

/** Named sets of the fidelity knobs a pod has: its publishers' {@link Fidelity} and its default restart. */
public enum FidelityPreset {
    /** The simulator's kind defaults, which every test written before issue 11 assumes. */
    ROOMY(Fidelity.roomy(), RestartPlan.keepSockets()),
    /**
     * Released vLLM: replay served by the publishing thread through a ROUTER at HWM 1000, and a restart that closes
     * the sockets for 1 s, then publishes a burst of 100 batches at once from seq 0.
     */
    VLLM(Fidelity.vllm(), RestartPlan.processExit(Duration.ofSeconds(1), 100)),
    /** {@link #VLLM} plus the unreleased snapshot variant: 24-byte sequence frames and a 1 s idle heartbeat. */
    VLLM_SNAPSHOT(Fidelity.vllmSnapshot(), RestartPlan.processExit(Duration.ofSeconds(1), 100));

    private final Fidelity fidelity;
    private final RestartPlan restartPlan;

    FidelityPreset(Fidelity fidelity, RestartPlan restartPlan) {
        this.fidelity = fidelity;
        this.restartPlan = restartPlan;
    }

    public Fidelity fidelity() {
        return fidelity;
    }

    public RestartPlan restartPlan() {
        return restartPlan;
    }
}
