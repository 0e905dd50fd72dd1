package io.kvrelay.router.decide;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The prefix index as the decision sees it: which pods hold how much of a prompt's chain of block keys. Free of any
 * transport, so tests and benchmarks answer from memory; the router's is stream-app over gRPC.
 */
@FunctionalInterface
public interface PrefixIndex {
    /**
     * Completes with every pod's matches, or exceptionally with {@link Unavailable} when the index cannot answer
     * whole within the deadline (then the decision goes on without it). Never blocks the caller.
     */
    CompletableFuture<PrefixMatches> prefixMatch(String namespace, String service, long[] keys, Duration deadline);

    /** The index could not give a complete answer in time. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
