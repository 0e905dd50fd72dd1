package io.kvrelay.policies;

/** A request as a policy sees it, set by hand. */
record TestRequest(String service, String userId, int promptBlocks, long firstBlockKey, double timeMs)
        implements RoutedRequest {
}
