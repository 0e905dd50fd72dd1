package io.kvrelay.stream.store;

import io.kvrelay.stream.index.PrefixIndex;
import java.util.List;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;

/**
 * The prefix index of one stream task (one partition of the event log) as a Kafka Streams state store, so that
 * interactive queries find it through {@code KafkaStreams.store()} exactly when its task runs here.
 *
 * <p>Not logged and not persistent: it is a projection of the changelogged {@link StoreNames#WORKER_BLOCKS} store,
 * rebuilt by the processor once that store is restored. Until then {@link #ready()} is false and queries answer 503.
 */
public final class PrefixIndexStore implements StateStore, IndexShards {
    private final String name;
    private final PrefixIndex index = new PrefixIndex();
    private volatile boolean open;
    private volatile boolean ready;
    private volatile int partition = -1;

    public PrefixIndexStore(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        partition = context.taskId().partition();
        // Nothing to restore: the processor rebuilds the index from the worker-blocks store.
        context.register(root, (key, value) -> { });
        open = true;
    }

    public PrefixIndex index() {
        return index;
    }

    /** The partition of the event log this index covers. */
    public int partition() {
        return partition;
    }

    public boolean ready() {
        return ready && open;
    }

    /** Called by the processor once the index holds everything the worker-blocks store does. */
    public void markReady() {
        ready = true;
    }

    @Override
    public List<PrefixIndexStore> shards() {
        return List.of(this);
    }

    @Override
    public void flush() {
        // in memory, derived: nothing to flush
    }

    @Override
    public void close() {
        open = false;
        ready = false;
        index.clear();
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }
}
