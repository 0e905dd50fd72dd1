package io.kvrelay.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The identity of a pod, {@code namespace/service/pod}, and the Kafka record key of every topic (UTF-8 bytes).
 * A worker is a pod plus a data-parallel rank; records are keyed by pod so that all ranks of a pod share a partition.
 */
public record PodKey(String namespace, String service, String pod) {
    public PodKey {
        requireSegment("namespace", namespace);
        requireSegment("service", service);
        requireSegment("pod", pod);
    }

    private static void requireSegment(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.indexOf('/') >= 0) {
            throw new IllegalArgumentException(what + " must be non-empty and contain no '/', got '" + value + "'");
        }
    }

    public static PodKey parse(String id) {
        String[] parts = id.split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("pod id must be namespace/service/pod, got '" + id + "'");
        }
        return new PodKey(parts[0], parts[1], parts[2]);
    }

    public String id() {
        return namespace + "/" + service + "/" + pod;
    }

    public byte[] toKafkaKey() {
        return id().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return id();
    }
}
