package io.kvrelay.router.state;

import java.util.List;

/**
 * Where pod state comes from: stream-app in production ({@code clients.StreamAppClient}), memory in tests and
 * benchmarks. Free of any transport's types, so the decision that reads it is too.
 */
@FunctionalInterface
public interface PodSource {
    /** @throws Unavailable when the source cannot answer now */
    List<PodInfo> pods(String namespace, String service) throws Unavailable;

    /** The source cannot answer now (stream-app unreachable, or not answering in time). */
    final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }
}
