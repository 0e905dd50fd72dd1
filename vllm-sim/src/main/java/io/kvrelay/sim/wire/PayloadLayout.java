package io.kvrelay.sim.wire;

/**
 * The shapes vLLM's {@code KVEventBatch} has had on the wire. Each value is one historical era, so a consumer can be
 * tested against every release it may meet.
 */
public enum PayloadLayout {
    /** PR #16750: envelope {@code [ts, events]}; array events; BlockStored 5 fields, BlockRemoved 1. */
    ARRAY_LEGACY,
    /** Array envelope {@code [ts, events, rank]}; array events with every field through PR #40984. */
    ARRAY_FULL,
    /** PR #42892 on: array envelope, events as tagged maps following msgspec's omit rules. */
    MAP_EVENTS,
    /** Envelope as a map {@code {ts, events, data_parallel_rank}} (vLLM commit 0181ea3; no release seen) with map events. */
    MAP_ENVELOPE;

    /** Whether events are written as {@code {"type": ..., field: value}} maps rather than tagged arrays. */
    public boolean mapEvents() {
        return this == MAP_EVENTS || this == MAP_ENVELOPE;
    }
}
