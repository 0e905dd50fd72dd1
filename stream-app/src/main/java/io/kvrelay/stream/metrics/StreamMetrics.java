package io.kvrelay.stream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/**
 * stream-app's meters ({@code kvrelay_stream_*} in Prometheus). Every input the index cannot use is counted here by
 * why, never dropped silently.
 */
public final class StreamMetrics {
    private final MeterRegistry registry;
    public final Counter batches;
    public final Counter blocksStored;
    public final Counter blocksRemoved;
    /** BlockStored whose parent hash this worker never stored: its blocks are not indexed (their keys are unknowable). */
    public final Counter unknownParentBlocks;
    /** Token-less (CPU offload) stored blocks this worker does not know: nothing to key them by. */
    public final Counter unkeyedBlocks;
    /** Token-less stored blocks of a known engine hash: a tier added to an existing entry. */
    public final Counter tierAdds;
    /** BlockStored whose token count is not blocks × block size. */
    public final Counter malformedStored;
    /** BlockRemoved of a hash this worker does not hold. */
    public final Counter unknownRemoved;
    /** Stored blocks whose extra keys include prompt embeddings: a router cannot reproduce their keys from tokens. */
    public final Counter promptEmbedsBlocks;
    /** Stored blocks with extra keys the router cannot reproduce (untyped, unknown, contradictory, misaligned). */
    public final Counter unusableExtraKeyBlocks;
    /** Blocks of BlockStored with locality REMOTE: kept for chaining only, never held by the worker. */
    public final Counter remoteStored;
    /** Blocks of BlockRemoved with locality REMOTE. */
    public final Counter remoteRemoved;
    /** Blocks stored or removed with a medium this version does not know (indexed as STORAGE). */
    public final Counter unknownMediumBlocks;
    public final Counter cleared;
    public final Counter entriesPurged;
    public final Counter undecodable;
    public final Counter podCommands;
    public final Counter podStatuses;
    /** Wall-clock time from the record's Kafka timestamp until the index applied it. */
    public final Timer applyLag;
    public final Timer indexRebuild;
    public final DistributionSummary rebuildEntries;
    /** Changelog records read back into the stores: everything after a start with no local state, only what the
     *  checkpoint had not seen after one with persistent state. */
    public final Counter restoredRecords;

    public StreamMetrics(MeterRegistry registry) {
        this.registry = registry;
        batches = Counter.builder("kvrelay.stream.batches").description("KV-event batches applied").register(registry);
        blocksStored = Counter.builder("kvrelay.stream.blocks.stored").description("blocks added to the prefix index")
                .register(registry);
        blocksRemoved = Counter.builder("kvrelay.stream.blocks.removed")
                .description("blocks removed from the prefix index (BlockRemoved)").register(registry);
        unknownParentBlocks = skipped("unknown_parent");
        unkeyedBlocks = skipped("no_tokens_unknown_hash");
        malformedStored = skipped("token_count_mismatch");
        unknownRemoved = skipped("removed_unknown_hash");
        promptEmbedsBlocks = skipped("prompt_embeds");
        unusableExtraKeyBlocks = skipped("extra_keys_unusable");
        remoteStored = Counter.builder("kvrelay.stream.blocks.remote").tag("event", "stored")
                .description("blocks announced with locality REMOTE: not in the worker's cache, kept for chaining only")
                .register(registry);
        remoteRemoved = Counter.builder("kvrelay.stream.blocks.remote").tag("event", "removed")
                .description("blocks announced with locality REMOTE: not in the worker's cache, kept for chaining only")
                .register(registry);
        unknownMediumBlocks = Counter.builder("kvrelay.stream.blocks.unknown.medium")
                .description("blocks whose medium is not GPU, CPU or STORAGE; indexed as STORAGE").register(registry);
        tierAdds = Counter.builder("kvrelay.stream.tier.adds")
                .description("blocks a worker already held, stored again in another medium (GPU, CPU, STORAGE)")
                .register(registry);
        cleared = Counter.builder("kvrelay.stream.worker.purges").description("AllBlocksCleared and WorkerReset")
                .register(registry);
        entriesPurged = Counter.builder("kvrelay.stream.entries.purged")
                .description("index entries removed by worker purges (AllBlocksCleared, WorkerReset)").register(registry);
        undecodable = Counter.builder("kvrelay.stream.records.undecodable")
                .description("records on the input topics that are not a known Avro record; logged and skipped")
                .register(registry);
        podCommands = Counter.builder("kvrelay.stream.pod.commands")
                .description("pod commands applied (drain, undrain)").register(registry);
        podStatuses = Counter.builder("kvrelay.stream.pod.statuses")
                .description("pod status records applied (bridge heartbeats and load)").register(registry);
        applyLag = Timer.builder("kvrelay.stream.apply.lag")
                .description("Kafka record timestamp to applied in the index")
                .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(Duration.ofMinutes(1))
                .register(registry);
        indexRebuild = Timer.builder("kvrelay.stream.index.rebuild")
                .description("rebuilds of a shard's in-memory index from its store after a restore").register(registry);
        rebuildEntries = DistributionSummary.builder("kvrelay.stream.index.rebuild.entries")
                .description("entries read back per index rebuild").register(registry);
        restoredRecords = Counter.builder("kvrelay.stream.changelog.restored.records")
                .description("changelog records read back into the stores (restores at start and on take-over)")
                .register(registry);
    }

    public static StreamMetrics inMemory() {
        return new StreamMetrics(new SimpleMeterRegistry());
    }

    private Counter skipped(String reason) {
        return Counter.builder("kvrelay.stream.blocks.skipped").tag("reason", reason)
                .description("blocks the index could not key, by reason").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }
}
