package io.kvrelay.sim;

import io.kvrelay.sim.cache.CachedBlock;
import io.kvrelay.sim.cache.KvCacheModel;
import io.kvrelay.sim.cache.ServeResult;
import io.kvrelay.sim.metrics.WorkerMetrics;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.KvEventPublisher;
import io.kvrelay.sim.zmq.PublishLog;
import io.kvrelay.sim.zmq.PublishedBatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * One engine core of a pod (a data-parallel rank): its cache and its publisher. Every operation holds the worker's
 * monitor so the cache and what was published about it never disagree, even with several driving threads.
 */
final class SimWorker {
    private final int rank;
    private final KvCacheModel cache;
    private final PublishLog log;
    private final SplittableRandom overflowRandom;
    private KvEventPublisher publisher;
    // Gauges are written under the monitor but read without it, so a scrape never waits for a long overflow burst.
    private volatile long prefixQueryTokens;
    private volatile long prefixHitTokens;
    private volatile long served;
    private volatile int cachedBlocks;
    private volatile KvEventPublisher metricsPublisher;
    private final RequestGauges requests = new RequestGauges();

    SimWorker(int rank, KvCacheModel cache, PublishLog log, long seed) {
        this.rank = rank;
        this.cache = cache;
        this.log = log;
        this.overflowRandom = new SplittableRandom(seed * 31 + rank);
    }

    synchronized void attach(KvEventPublisher newPublisher) {
        this.publisher = newPublisher;
        this.metricsPublisher = newPublisher;
    }

    synchronized KvEventPublisher publisher() {
        return publisher;
    }

    synchronized ServedPrompt serve(int[] promptTokens, String lora) {
        ServeResult result = cache.serve(promptTokens, lora);
        served++;
        prefixQueryTokens += (long) result.promptBlocks() * cache.blockSize();
        prefixHitTokens += (long) result.hitBlocks() * cache.blockSize();
        cachedBlocks = cache.size();
        return new ServedPrompt(result.promptBlocks(), result.hitBlocks(), result.storedBlocks(),
                publishIfAny(result.events()));
    }

    synchronized PublishedBatch clear() {
        List<SimEvent> events = cache.clear();
        cachedBlocks = 0;
        return requirePublisher().publish(events);
    }

    synchronized Optional<PublishedBatch> evict(int blocks) {
        List<SimEvent> events = cache.evictLru(blocks);
        cachedBlocks = cache.size();
        return publishIfAny(events);
    }

    /** Publishes arbitrary events without touching the cache: the ground truth does not follow them. */
    synchronized PublishedBatch publishEvents(List<? extends SimEvent> events) {
        return requirePublisher().publish(events);
    }

    synchronized long publishRaw(byte[] payload) {
        return requirePublisher().publishRaw(payload);
    }

    /** n random 1-4 block prompts served back to back: a burst of real batches that keeps the ground truth exact. */
    synchronized int overflow(int n) {
        int published = 0;
        int bs = cache.blockSize();
        for (int i = 0; i < n; i++) {
            int[] tokens = new int[bs * (1 + overflowRandom.nextInt(4))];
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = overflowRandom.nextInt(32_000);
            }
            List<SimEvent> events = cache.serve(tokens, null).events();
            cachedBlocks = cache.size();
            if (publishIfAny(events).isPresent()) {
                published++;
            }
        }
        return published;
    }

    /** The cache is lost without an event, as a crashed or restarted process loses it. */
    synchronized void resetCache() {
        cache.reset();
        cachedBlocks = 0;
    }

    synchronized Map<Long, CachedBlock> contents() {
        return cache.contents();
    }

    RequestGauges requests() {
        return requests;
    }

    /** The blocks a running request with a {@code promptBlocks}-block prompt holds: no more than the cache has. */
    int blocksHeldBy(int promptBlocks) {
        if (promptBlocks < 0) {
            throw new IllegalArgumentException("promptBlocks must be >= 0, got " + promptBlocks);
        }
        return Math.min(promptBlocks, cache.capacityBlocks());
    }

    WorkerMetrics metrics() {
        int cached = cachedBlocks;
        KvEventPublisher p = metricsPublisher;
        int[] load = requests.snapshot();
        int capacity = cache.capacityBlocks();
        return new WorkerMetrics(rank, load[0], load[1], cached, load[2], capacity,
                Math.min(1.0, (double) load[2] / capacity), served, prefixQueryTokens, prefixHitTokens,
                p == null ? 0 : p.published());
    }

    int rank() {
        return rank;
    }

    PublishLog log() {
        return log;
    }

    private Optional<PublishedBatch> publishIfAny(List<SimEvent> events) {
        // vLLM publishes only scheduler steps that produced events.
        return events.isEmpty() ? Optional.empty() : Optional.of(requirePublisher().publish(events));
    }

    private KvEventPublisher requirePublisher() {
        if (publisher == null) {
            throw new IllegalStateException("rank " + rank + " has no bound publisher: start the pod first");
        }
        return publisher;
    }
}
