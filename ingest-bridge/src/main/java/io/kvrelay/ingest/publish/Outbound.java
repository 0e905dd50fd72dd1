package io.kvrelay.ingest.publish;

import java.util.concurrent.CompletableFuture;

/**
 * One encoded record on its way to Kafka.
 *
 * @param topic       destination topic
 * @param key         record key (the pod id, UTF-8)
 * @param value       single-object-encoded Avro value
 * @param onLost      told when Kafka refuses the record for good, so its worker can report the loss; may be null
 * @param sequence    the vLLM sequence it carries, or -1
 * @param handedAtNs  {@link System#nanoTime()} at hand-off, for the produce-latency metric
 * @param barrier     not a record: completed once everything handed over before it is acknowledged; else null
 */
public record Outbound(String topic, byte[] key, byte[] value, LossListener onLost, long sequence, long handedAtNs,
                       CompletableFuture<Void> barrier) {

    public Outbound(String topic, byte[] key, byte[] value, LossListener onLost, long sequence, long handedAtNs) {
        this(topic, key, value, onLost, sequence, handedAtNs, null);
    }

    /** A marker in the hand-off's order: see {@link KafkaPublisher#awaitDelivered}. */
    static Outbound barrier(CompletableFuture<Void> done) {
        return new Outbound(null, null, null, null, -1, System.nanoTime(), done);
    }

    /** Told, on the producer's I/O thread, that a record will never reach Kafka. Must not block. */
    @FunctionalInterface
    public interface LossListener {
        void lost(long sequence, Exception cause);
    }
}
