package io.kvrelay.stream.store;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.internals.StateStoreProvider;

/**
 * The prefix indexes of the tasks running in this instance, as interactive queries see them: one per partition.
 * {@code KafkaStreams.store(fromNameAndType(PREFIX_INDEX, IndexShards.TYPE))} returns a live view that asks Kafka
 * Streams for the current stores on every call, so a rebalance shows up as {@code InvalidStateStoreException}, not as
 * a stale answer.
 */
public interface IndexShards {

    /** @throws org.apache.kafka.streams.errors.InvalidStateStoreException while the stores migrate or restore */
    List<PrefixIndexStore> shards();

    QueryableStoreType<IndexShards> TYPE = new QueryableStoreType<>() {
        @Override
        public boolean accepts(StateStore stateStore) {
            return stateStore instanceof PrefixIndexStore;
        }

        @Override
        public IndexShards create(StateStoreProvider provider, String storeName) {
            return () -> {
                List<PrefixIndexStore> out = new ArrayList<>();
                for (IndexShards s : provider.stores(storeName, this)) {
                    out.addAll(s.shards());
                }
                return out;
            };
        }
    };
}
