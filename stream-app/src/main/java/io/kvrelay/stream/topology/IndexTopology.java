package io.kvrelay.stream.topology;

import io.kvrelay.schemas.Topics;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.PrefixIndexStoreBuilder;
import io.kvrelay.stream.store.StoreNames;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.BytesDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * stream-app's topology, built from configuration alone (no I/O), so tests run exactly what {@code main} runs.
 *
 * <pre>
 *   kv-events  ──► kv-event-processor ──► worker-blocks (logged), prefix-index (derived), pod-state
 *   pod-status ──► pod-status-processor ─► pod-state (logged)
 * </pre>
 * Both topics are keyed by pod id and have the same partition count, so a pod's events, status and state live in
 * one task; Kafka Streams checks that co-partitioning at start.
 */
public final class IndexTopology {
    static final String EVENTS_SOURCE = "kv-events";
    static final String STATUS_SOURCE = "pod-status";

    private IndexTopology() {
    }

    /**
     * @param persistentStores RocksDB stores (survive a restart with local state; the index is still rebuilt from
     *                         them) instead of in-memory ones (restored from the changelog at every start)
     */
    public static Topology build(Topics topics, StreamMetrics metrics, boolean persistentStores) {
        Topology t = new Topology();
        t.addSource(EVENTS_SOURCE, new BytesDeserializer(), new ByteArrayDeserializer(), topics.kvEvents().name());
        t.addSource(STATUS_SOURCE, new BytesDeserializer(), new ByteArrayDeserializer(), topics.podStatus().name());
        t.addProcessor("kv-event-processor", () -> new KvEventProcessor(metrics), EVENTS_SOURCE);
        t.addProcessor("pod-status-processor", () -> new PodStatusProcessor(metrics), STATUS_SOURCE);
        // No record cache: interactive queries must see every applied event at once, and the index is in memory.
        t.addStateStore(Stores.keyValueStoreBuilder(supplier(StoreNames.WORKER_BLOCKS, persistentStores),
                Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled(), "kv-event-processor");
        t.addStateStore(new PrefixIndexStoreBuilder(StoreNames.PREFIX_INDEX), "kv-event-processor");
        t.addStateStore(Stores.keyValueStoreBuilder(supplier(StoreNames.POD_STATE, persistentStores),
                Serdes.String(), Serdes.ByteArray()).withCachingDisabled(),
                "kv-event-processor", "pod-status-processor");
        return t;
    }

    private static KeyValueBytesStoreSupplier supplier(String name, boolean persistent) {
        return persistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
    }
}
