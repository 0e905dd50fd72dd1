package io.kvrelay.stream.topology;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockLocality;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.WorkerBlockCodec;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The event semantics, in one place: how each KV event changes one worker's entries, in the prefix index and in the
 * changelogged worker-blocks store alike. Used by the stream processor and by anything that rebuilds state from the
 * event log (analytics replay), so there is no second implementation.
 *
 * <ul>
 *   <li>{@code BlockStored}: block keys chain from the parent's key (no parent: the prompt's root), with each block's
 *       extra keys (LoRA, cache salt, multimodal identifiers: {@link ExtraKeyReader}). A parent this worker does not
 *       know, a token count that is not blocks × block size, or extra keys the router cannot reproduce skip the
 *       blocks concerned and count them: their keys cannot be known, and a guess would make the index claim prefixes
 *       nobody holds. Token-less events (CPU offload) add their tier to blocks the worker already knows, and count
 *       the rest. The medium is the tier: GPU, CPU, or STORAGE (also for media this version does not know).</li>
 *   <li>{@code BlockStored} with locality REMOTE (held elsewhere, relative to the pod): the blocks are keyed the same
 *       way but only marked {@link Tier#REMOTE}, so a later block chained to one of them still gets its key, while the
 *       worker holds nothing more (no match, no {@code blocksHeld}). Counted. Null, LOCAL and UNKNOWN_LOCALITY are
 *       local (older vLLM sends no locality).</li>
 *   <li>{@code BlockRemoved}: clears that tier of each hash (REMOTE: the REMOTE mark); an entry with nothing left
 *       goes away.</li>
 *   <li>{@code AllBlocksCleared} and {@code WorkerReset}: purge exactly this worker, through its key range.</li>
 * </ul>
 *
 * <p>Single-threaded: one applier per stream task.
 */
public final class EventApplier {
    private final PrefixIndex index;
    private final KeyValueStore<Bytes, byte[]> blocks;
    private final StreamMetrics metrics;
    private final ExtraKeyReader extraKeys;

    public EventApplier(PrefixIndex index, KeyValueStore<Bytes, byte[]> blocks, StreamMetrics metrics) {
        this.index = index;
        this.blocks = blocks;
        this.metrics = metrics;
        this.extraKeys = new ExtraKeyReader(metrics);
    }

    /**
     * Applies one batch of the event log to its worker (pod + DP rank): the dispatch the stream processor and the
     * analytics replay share. The caller holds the index's write lock if readers run concurrently.
     *
     * @return the block size of the batch's last {@code BlockStored}, or null when it had none
     */
    public Integer apply(KvEventBatch batch) {
        String podId = batch.getNamespace() + "/" + batch.getService() + "/" + batch.getPod();
        Worker w = worker(WorkerKeys.of(podId, batch.getDpRank()));
        Integer blockSize = null;
        for (Object event : batch.getEvents()) {
            if (event instanceof BlockStored s) {
                stored(w, s);
                blockSize = s.getBlockSize();
            } else if (event instanceof BlockRemoved r) {
                removed(w, r);
            } else if (event instanceof AllBlocksCleared || event instanceof WorkerReset) {
                purge(w);
            }
        }
        return blockSize;
    }

    /** Per worker: its dense id in the index and its store-key prefix, resolved once per batch. */
    public record Worker(String key, int id, byte[] prefix) {
    }

    public Worker worker(String workerKey) {
        return new Worker(workerKey, index.workerId(workerKey), WorkerBlockCodec.workerPrefix(workerKey).get());
    }

    public void stored(Worker w, BlockStored e) {
        List<Long> hashes = e.getBlockHashes();
        int n = hashes.size();
        boolean remote = e.getLocality() == BlockLocality.REMOTE;
        int tier = remote ? Tier.REMOTE : tier(e.getMedium(), n);
        if (remote) {
            metrics.remoteStored.increment(n);
        }
        List<Integer> tokens = e.getTokenIds();
        if (tokens.isEmpty()) {
            for (int i = 0; i < n; i++) {
                long h = hashes.get(i);
                if (index.addTiers(w.id(), h, tier)) {
                    metrics.tierAdds.increment();
                    blocks.put(WorkerBlockCodec.key(w.prefix(), h),
                            WorkerBlockCodec.value(index.keyOf(w.id(), h), index.tiersOf(w.id(), h)));
                } else if (!remote) {
                    metrics.unkeyedBlocks.increment(); // a REMOTE one is counted above and not held anyway
                }
            }
            return;
        }
        int bs = e.getBlockSize();
        if (bs <= 0 || tokens.size() != (long) n * bs) {
            metrics.malformedStored.increment(n);
            return;
        }
        long parentKey = BlockKeys.ROOT;
        Long parentHash = e.getParentBlockHash();
        if (parentHash != null) {
            parentKey = index.keyOf(w.id(), parentHash);
            if (parentKey == PrefixIndex.NO_KEY) {
                metrics.unknownParentBlocks.increment(n);
                return;
            }
        }
        // Without extra keys beyond the LoRA (the usual case) every block gets the LoRA key, as before they existed.
        int keyable = extraKeys.read(e, n);
        long[] perBlock = keyable < 0 ? null : extraKeys.extras();
        keyable = keyable < 0 ? n : keyable;
        long extra = BlockKeys.extraKey(e.getLoraName());
        int[] scratch = new int[bs];
        for (int i = 0; i < keyable; i++) {
            copyTokens(tokens, i * bs, scratch);
            long key = BlockKeys.next(parentKey, perBlock == null ? extra : perBlock[i], scratch, 0, bs);
            long h = hashes.get(i);
            parentKey = key;
            if (remote && replacesLocal(w, h, key)) {
                continue; // a REMOTE announcement never rewrites what the worker holds itself
            }
            index.put(w.id(), h, key, tier);
            blocks.put(WorkerBlockCodec.key(w.prefix(), h), WorkerBlockCodec.value(key, index.tiersOf(w.id(), h)));
        }
        if (!remote) {
            metrics.blocksStored.increment(keyable);
        }
    }

    /** Whether the worker holds {@code engineHash} locally under another key (a put would replace that entry). */
    private boolean replacesLocal(Worker w, long engineHash, long key) {
        long held = index.keyOf(w.id(), engineHash);
        return held != PrefixIndex.NO_KEY && held != key && (index.tiersOf(w.id(), engineHash) & Tier.ALL) != 0;
    }

    /** The tier of a medium; one this version does not know is STORAGE, and its blocks are counted. */
    private int tier(String medium, int blocks) {
        if (!Tier.known(medium)) {
            metrics.unknownMediumBlocks.increment(blocks);
        }
        return Tier.of(medium);
    }

    /** Avro decodes int arrays as {@code PrimitivesArrays.IntArray}: read them without boxing when they are. */
    private static void copyTokens(List<Integer> tokens, int from, int[] into) {
        if (tokens instanceof org.apache.avro.generic.PrimitivesArrays.IntArray ints) {
            for (int t = 0; t < into.length; t++) {
                into[t] = ints.getInt(from + t);
            }
        } else {
            for (int t = 0; t < into.length; t++) {
                into[t] = tokens.get(from + t);
            }
        }
    }

    public void removed(Worker w, BlockRemoved e) {
        boolean remote = e.getLocality() == BlockLocality.REMOTE;
        int tier = remote ? Tier.REMOTE : tier(e.getMedium(), e.getBlockHashes().size());
        if (remote) {
            metrics.remoteRemoved.increment(e.getBlockHashes().size());
        }
        int removed = 0;
        for (long h : e.getBlockHashes()) {
            long key = index.remove(w.id(), h, tier);
            if (key == PrefixIndex.NO_KEY) {
                if (!remote) {
                    metrics.unknownRemoved.increment(); // a REMOTE one was never held: counted above
                }
                continue;
            }
            removed++;
            int left = index.tiersOf(w.id(), h);
            Bytes k = WorkerBlockCodec.key(w.prefix(), h);
            if (left == 0) {
                blocks.delete(k);
            } else {
                blocks.put(k, WorkerBlockCodec.value(key, left));
            }
        }
        if (!remote) {
            metrics.blocksRemoved.increment(removed);
        }
    }

    /** AllBlocksCleared, WorkerReset: every entry of this worker goes, and no other worker's. */
    public int purge(Worker w) {
        List<Bytes> keys = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = blocks.prefixScan(Bytes.wrap(w.prefix()),
                new org.apache.kafka.common.serialization.BytesSerializer())) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        for (Bytes k : keys) {
            blocks.delete(k);
        }
        int n = index.purge(w.id());
        metrics.cleared.increment();
        metrics.entriesPurged.increment(n);
        return n;
    }

    /** Rebuilds the index from the worker-blocks store (after a restore); returns the entries loaded. */
    public static long rebuild(PrefixIndex index, KeyValueStore<Bytes, byte[]> blocks) {
        long n = 0;
        index.clear();
        try (KeyValueIterator<Bytes, byte[]> it = blocks.all()) {
            String lastWorker = null;
            int id = -1;
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                String worker = WorkerBlockCodec.workerOf(kv.key);
                if (!worker.equals(lastWorker)) {
                    lastWorker = worker;
                    id = index.workerId(worker);
                }
                index.put(id, WorkerBlockCodec.engineHashOf(kv.key), WorkerBlockCodec.blockKeyOf(kv.value),
                        WorkerBlockCodec.tiersOf(kv.value));
                n++;
            }
        }
        return n;
    }
}
