package io.kvrelay.stream.topology;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.store.StoreNames;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies each {@code KvEventBatch} of the event log to this task's prefix index and worker-blocks store, and keeps
 * the pod's block size in the pod-state store.
 *
 * <p>Kafka Streams calls {@link #init} only after the task's stores are restored, so that is where the in-memory
 * index is rebuilt from the worker-blocks store; queries see the index only once it is complete.
 */
final class KvEventProcessor implements Processor<Bytes, byte[], Void, Void> {
    private static final Logger log = LoggerFactory.getLogger(KvEventProcessor.class);

    private final StreamMetrics metrics;
    private final AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
    private PrefixIndexStore indexStore;
    private EventApplier applier;
    private PodStateUpdater pods;
    private ProcessorContext<Void, Void> context;

    KvEventProcessor(StreamMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        indexStore = context.getStateStore(StoreNames.PREFIX_INDEX);
        KeyValueStore<Bytes, byte[]> blocks = context.getStateStore(StoreNames.WORKER_BLOCKS);
        pods = new PodStateUpdater(context.getStateStore(StoreNames.POD_STATE));
        applier = new EventApplier(indexStore.index(), blocks, metrics);
        long t0 = System.nanoTime();
        long n = EventApplier.rebuild(indexStore.index(), blocks);
        long took = System.nanoTime() - t0;
        metrics.indexRebuild.record(took, TimeUnit.NANOSECONDS);
        metrics.rebuildEntries.record(n);
        indexStore.markReady();
        log.info("task {}: prefix index rebuilt from {} with {} entries in {} ms", context.taskId(),
                StoreNames.WORKER_BLOCKS, n, TimeUnit.NANOSECONDS.toMillis(took));
    }

    @Override
    public void process(Record<Bytes, byte[]> record) {
        KvEventBatch batch;
        try {
            batch = codec.decode(record.value());
        } catch (IOException e) {
            metrics.undecodable.increment();
            log.warn("skipping undecodable record on the event log (key {}, task {}): {}",
                    record.key(), context.taskId(), e.getMessage());
            return;
        }
        String podId = batch.getNamespace() + "/" + batch.getService() + "/" + batch.getPod();
        Integer blockSize;
        // One lock for the whole batch: readers never see half of it, and the writer pays for locking once.
        Lock lock = indexStore.index().writeLock();
        lock.lock();
        try {
            blockSize = applier.apply(batch);
        } finally {
            lock.unlock();
        }
        metrics.batches.increment();
        pods.eventsApplied(batch, podId, blockSize);
        long lag = context.currentSystemTimeMs() - record.timestamp();
        if (lag >= 0) {
            metrics.applyLag.record(lag, TimeUnit.MILLISECONDS);
        }
    }
}
