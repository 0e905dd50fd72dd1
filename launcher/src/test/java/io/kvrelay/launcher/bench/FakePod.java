package io.kvrelay.launcher.bench;

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

    /** A 64-token (4-block) prompt. */
    static BenchRequest request(String service, String user) {
        return new BenchRequest(0, service, user, new int[64], null, 0, 0, 8);
    }
}
