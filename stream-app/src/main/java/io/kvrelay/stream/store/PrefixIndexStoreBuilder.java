package io.kvrelay.stream.store;

import java.util.Map;
import org.apache.kafka.streams.state.StoreBuilder;

/** Builds a {@link PrefixIndexStore} per task. Never logged or cached: the index is derived state. */
public final class PrefixIndexStoreBuilder implements StoreBuilder<PrefixIndexStore> {
    private final String name;

    public PrefixIndexStoreBuilder(String name) {
        this.name = name;
    }

    @Override
    public StoreBuilder<PrefixIndexStore> withCachingEnabled() {
        throw new UnsupportedOperationException("the prefix index is never cached");
    }

    @Override
    public StoreBuilder<PrefixIndexStore> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<PrefixIndexStore> withLoggingEnabled(Map<String, String> config) {
        throw new UnsupportedOperationException("the prefix index is derived from the logged worker-blocks store");
    }

    @Override
    public StoreBuilder<PrefixIndexStore> withLoggingDisabled() {
        return this;
    }

    @Override
    public PrefixIndexStore build() {
        return new PrefixIndexStore(name);
    }

    @Override
    public Map<String, String> logConfig() {
        return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
        return false;
    }

    @Override
    public String name() {
        return name;
    }
}
