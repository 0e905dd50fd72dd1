package io.kvrelay.stream.metrics;

import io.micrometer.core.instrument.Counter;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the changelog records restored into this instance's stores and logs (debug) each store partition's restore,
 * so a restart shows whether it read the whole changelog or only what its stores had not written. Called by Kafka
 * Streams' restore thread; a Counter is thread-safe.
 */
public final class RestoreCounter implements StateRestoreListener {
    private static final Logger log = LoggerFactory.getLogger(RestoreCounter.class);
    private final Counter restored;

    public RestoreCounter(Counter restored) {
        this.restored = restored;
    }

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
        log.debug("restoring {} from {} offsets {}..{}", store, partition, startingOffset, endingOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        restored.increment(numRestored);
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        log.debug("restored {} from {}: {} records", store, partition, totalRestored);
    }
}
