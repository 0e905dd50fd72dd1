package io.kvrelay.sim.zmq;

/** The frames a replay ROUTER sends back, which changed with vLLM PR #45177. */
public enum ReplayReplyShape {
    /** Before #45177: {@code [id, "", seq8, payload]} per batch, then {@code [id, "", ff×8, ""]}. */
    WITHOUT_TOPIC,
    /** #45177 on (v0.26.0): {@code [id, "", topic, seq8, payload]} per batch, then {@code [id, "", "", ff×8, ""]}. */
    WITH_TOPIC
}
