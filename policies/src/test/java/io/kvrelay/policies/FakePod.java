package io.kvrelay.policies;

/** A hand-set candidate for policy tests. */
record FakePod(String name, int inFlight, int waiting, Double kvCacheUsage, int cached, double prefillQueueMs)
        implements PodView<RoutedRequest> {
    FakePod(String name, int inFlight, int waiting, Double kvCacheUsage, int cached) {
        this(name, inFlight, waiting, kvCacheUsage, cached, 0);
    }

    FakePod(String name, int inFlight, int cached) {
        this(name, inFlight, 0, null, cached);
    }

    @Override
    public int cachedPrefixBlocks(RoutedRequest request) {
        return cached;
    }

    /** A 4-block prompt. */
    static TestRequest request(String service, String user) {
        return new TestRequest(service, user, 4, 42, 0);
    }
}
