package io.kvrelay.router.state;

import io.kvrelay.router.clients.StreamAppClient;
import java.util.List;

/** Where pod state comes from: stream-app in production ({@link StreamAppClient}), memory in tests and benchmarks. */
@FunctionalInterface
public interface PodSource {
    /** @throws StreamAppClient.Unavailable when the source cannot answer now */
    List<PodInfo> pods(String namespace, String service) throws StreamAppClient.Unavailable;
}
