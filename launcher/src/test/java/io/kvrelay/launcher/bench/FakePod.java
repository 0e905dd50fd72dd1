package io.kvrelay.launcher.bench;

/** A hand-set candidate for policy tests. */
record FakePod(String name, int inFlight, int cached) implements PodView {
    @Override
    public int cachedPrefixBlocks(BenchRequest request) {
        return cached;
    }

    static BenchRequest request(String service, String user) {
        return new BenchRequest(0, service, user, new int[64], null, 0, 0, 8);
    }
}
