package io.kvrelay.ingest.decode;

import java.util.List;

/**
 * One vLLM {@code EventBatch}, decoded straight into the Avro event records that go to Kafka.
 *
 * @param timestampSeconds vLLM's {@code ts} ({@code time.time()} on the engine)
 * @param dataParallelRank the envelope's rank, or -1 when the envelope has none (2-element layout) or it is nil
 * @param events           {@link io.kvrelay.schemas.avro.BlockStored}, {@link io.kvrelay.schemas.avro.BlockRemoved}
 *                         and {@link io.kvrelay.schemas.avro.AllBlocksCleared} records, in wire order. Their
 *                         blockHashes and tokenIds are Avro {@code PrimitivesArrays.LongArray}/{@code IntArray}:
 *                         {@code getLong(i)}/{@code getInt(i)} read them without boxing. Hashes are the 64 wire bits
 *                         (print with {@code Long.toUnsignedString}).
 *                         Absent fields are null (blockSize 0, empty arrays); token ids are kept even when their
 *                         count is not a multiple of blockSize, and are empty for CPU-offload connector events
 * @param skippedUnknown   events whose type tag this decoder does not know, skipped
 */
public record DecodedBatch(double timestampSeconds, int dataParallelRank, List<Object> events, int skippedUnknown) {
    public static final int NO_RANK = -1;

    public DecodedBatch {
        // Not copied: the decoder hands over a fresh list per batch and nobody mutates it afterwards.
        java.util.Objects.requireNonNull(events, "events");
    }
}
