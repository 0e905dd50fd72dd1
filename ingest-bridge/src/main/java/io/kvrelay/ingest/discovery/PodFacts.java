package io.kvrelay.ingest.discovery;

import java.util.List;
import java.util.Map;

/**
 * What the bridge reads of a Kubernetes pod: the API's object reduced to plain values, so the reading of it
 * ({@link VllmPodReader}) is free of the client's types.
 *
 * @param ownerKind  kind of the controlling owner (e.g. StatefulSet), or null
 * @param ownerName  its name, or null
 * @param ready      the pod's Ready condition is True
 */
public record PodFacts(String namespace, String name, String uid, Map<String, String> labels,
                       Map<String, String> annotations, String podIp, boolean ready, String ownerKind,
                       String ownerName, List<Container> containers) {
    public PodFacts {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        containers = containers == null ? List.of() : List.copyOf(containers);
    }

    /** A container's name and how it is started. */
    public record Container(String name, List<String> command, List<String> args) {
        public Container {
            command = command == null ? List.of() : List.copyOf(command);
            args = args == null ? List.of() : List.copyOf(args);
        }
    }
}
