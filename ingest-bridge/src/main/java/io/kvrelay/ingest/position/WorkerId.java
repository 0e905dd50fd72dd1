package io.kvrelay.ingest.position;

import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.schemas.PodKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/** A worker: a pod and one of its data-parallel ranks. Printed as {@code namespace/service/pod#rank}. */
public record WorkerId(PodKey pod, int rank) {
    public WorkerId {
        Objects.requireNonNull(pod, "pod");
        if (rank < 0) {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
    }

    /** Every worker of these pods: ranks 0 .. dpRanks - 1 of each. */
    public static List<WorkerId> of(Collection<PodConfig> pods) {
        List<WorkerId> out = new ArrayList<>();
        for (PodConfig p : pods) {
            for (int r = 0; r < p.dpRanks(); r++) {
                out.add(new WorkerId(p.key(), r));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return pod.id() + "#" + rank;
    }
}
