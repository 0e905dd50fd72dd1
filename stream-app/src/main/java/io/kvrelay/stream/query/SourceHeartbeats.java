package io.kvrelay.stream.query;

import java.util.HashMap;
import java.util.Map;

/**
 * Per bridge instance (the {@code source} of its PodStatus records), its freshest report of any pod: the evidence
 * {@link PodLiveness} uses to tell a silent bridge from a dead pod. Each stream-app instance sees the pods of its own
 * partitions; {@link #merge} joins what every instance saw.
 *
 * @param freshestMicros source → reportedAtMicros of its latest PodStatus
 */
public record SourceHeartbeats(Map<String, Long> freshestMicros) {
    public static final SourceHeartbeats NONE = new SourceHeartbeats(Map.of());

    public SourceHeartbeats {
        freshestMicros = freshestMicros == null ? Map.of() : Map.copyOf(freshestMicros);
    }

    /** True when nothing from {@code source} is younger than {@code ttlMs}: the bridge, or its way here, is silent. */
    public boolean silent(String source, long nowMs, long ttlMs) {
        Long last = freshestMicros.get(source == null ? "" : source);
        return last == null || nowMs - last / 1_000 > ttlMs;
    }

    public SourceHeartbeats merge(SourceHeartbeats other) {
        Map<String, Long> m = new HashMap<>(freshestMicros);
        other.freshestMicros().forEach((s, t) -> m.merge(s, t, Math::max));
        return new SourceHeartbeats(m);
    }
}
