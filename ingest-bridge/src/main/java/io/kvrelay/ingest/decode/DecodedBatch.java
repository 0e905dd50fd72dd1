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
 *                         extraKeys lists of blocks without keys are a shared immutable empty list, and so is the
 *                         outer list when no block has keys: copy before mutating
 * @param skippedUnknown   events whose type tag this decoder does not know, skipped
 * @param skippedFields    optional fields (lora_id, medium, lora_name, event_version, extra_keys and parts of its
 *                         entries, group_idx, kv_cache_spec_*, locality, ownership) whose value had a type the field
 *                         does not take: skipped, left null, the event kept. Unknown fields are skipped, not counted
 */
public record DecodedBatch(double timestampSeconds, int dataParallelRank, List<Object> events, int skippedUnknown,
                           int skippedFields) {
    public static final int NO_RANK = -1;

    public DecodedBatch {
        // Not copied: the decoder hands over a fresh list per batch and nobody mutates it afterwards.
        java.util.Objects.requireNonNull(events, "events");
    }

    /** A batch with no skipped fields. */
    public DecodedBatch(double timestampSeconds, int dataParallelRank, List<Object> events, int skippedUnknown) {
        this(timestampSeconds, dataParallelRank, events, skippedUnknown, 0);
    }
}
