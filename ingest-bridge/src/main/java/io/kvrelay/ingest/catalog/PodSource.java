package io.kvrelay.ingest.catalog;

/** Where the bridge learned of a pod. When two sources name the same pod, the first in this order wins. */
public enum PodSource {
    /** The config file's {@code pods[]}. */
    CONFIG,
    /** {@code POST /pods} on any bridge, kept in the bridge-pods topic. */
    ADMIN,
    /** A Kubernetes pod watch. */
    KUBERNETES
}
