package io.kvrelay.ingest.catalog;

import io.kvrelay.ingest.config.PodConfig;
import java.util.Objects;

/**
 * A pod the bridges should subscribe to.
 *
 * @param config      how to reach it
 * @param source      where it was learned of
 * @param incarnation what tells one life of the pod from the next under the same name (Kubernetes' uid), or null
 *                    when the source cannot tell: a change of incarnation ends the old one with a removal
 */
public record DesiredPod(PodConfig config, PodSource source, String incarnation) {
    public DesiredPod {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(source, "source");
    }

    public String id() {
        return config.key().id();
    }
}
