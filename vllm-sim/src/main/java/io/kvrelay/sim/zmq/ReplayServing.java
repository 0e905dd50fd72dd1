package io.kvrelay.sim.zmq;

/** Which thread answers replay requests, and so whether publishing goes on while a replay is sent. */
public enum ReplayServing {
    /**
     * The simulator's roomy mode: the ROUTER has its own thread and publishing goes on while it sends. Not what vLLM
     * does, but it lets a test exercise a consumer's recovery without vLLM's stalls.
     */
    OWN_THREAD,
    /**
     * vLLM's way: the thread that publishes also serves replay, so while it sends a replay it publishes nothing and
     * {@code publish()} calls wait. Requests queue behind the whole send loop of the one before.
     */
    PUBLISHING_THREAD
}
