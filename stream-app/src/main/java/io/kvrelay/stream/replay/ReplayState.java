package io.kvrelay.stream.replay;

import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.topology.EventApplier;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.streams.state.internals.InMemoryKeyValueStore;

/**
 * Every worker's cache state rebuilt from the event log outside Kafka Streams, for analytics replay: the same
 * {@link EventApplier} the stream processor runs (so the event semantics have one implementation), over a prefix
 * index and an in-memory worker-blocks store of its own. Feed it the records of the event log in partition order; at
 * any point {@link #index()} is what stream-app's index would hold after the same records. Single-threaded.
 */
public final class ReplayState {
    private final PrefixIndex index = new PrefixIndex();
    private final EventApplier applier;
    private long batches;

    public ReplayState(MeterRegistry registry) {
        // Kafka Streams' own in-memory store: put/get/delete/prefixScan need no processor context.
        this.applier = new EventApplier(index, new InMemoryKeyValueStore("replay-worker-blocks"),
                new StreamMetrics(registry));
    }

    public void apply(KvEventBatch batch) {
        applier.apply(batch);
        batches++;
    }

    public PrefixIndex index() {
        return index;
    }

    public long batches() {
        return batches;
    }
}
