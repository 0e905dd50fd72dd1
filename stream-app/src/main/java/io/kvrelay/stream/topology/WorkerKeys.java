package io.kvrelay.stream.topology;

/** A worker is a pod plus a data-parallel rank: {@code namespace/service/pod#rank}, the index's worker key. */
public final class WorkerKeys {
    private WorkerKeys() {
    }

    public static String of(String podId, int dpRank) {
        return podId + "#" + dpRank;
    }

    public static String podOf(String workerKey) {
        return workerKey.substring(0, workerKey.lastIndexOf('#'));
    }

    public static int rankOf(String workerKey) {
        return Integer.parseInt(workerKey.substring(workerKey.lastIndexOf('#') + 1));
    }

    /** {@code namespace/service/}: every worker of a service starts with it. */
    public static String servicePrefix(String namespace, String service) {
        return namespace + "/" + service + "/";
    }
}
