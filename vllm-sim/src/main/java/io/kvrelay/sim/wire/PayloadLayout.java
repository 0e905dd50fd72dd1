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
    MAP_ENVELOPE,
    /**
     * vLLM main, late 2026, encoded array_like: BlockStored with {@code event_version} inserted after
     * {@code lora_name} (14 fields), typed extra keys, locality and ownership; BlockRemoved with 5 fields.
     */
    NEWEST_ARRAY,
    /** The newest field list as tagged maps (event_version omitted while it is 1, None-defaulted fields omitted). */
    NEWEST_MAP;

    /** Whether events are written as {@code {"type": ..., field: value}} maps rather than tagged arrays. */
    public boolean mapEvents() {
        return this == MAP_EVENTS || this == MAP_ENVELOPE || this == NEWEST_MAP;
    }

    /** Whether the events carry the newest fields (event_version, locality, ownership). */
    public boolean newestFields() {
        return this == NEWEST_ARRAY || this == NEWEST_MAP;
    }
}
