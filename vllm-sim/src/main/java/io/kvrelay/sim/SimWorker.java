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
import java.util.UUID;

/**
 * One engine core of a pod (a data-parallel rank): its cache and its publisher. Every operation holds the worker's
 * monitor so the cache and what was published about it never disagree, even with several driving threads. While the
 * rank is down (a restart's downtime) operations wait for the new incarnation; its publisher and identity stay
 * readable without the monitor, so a test can watch a replay that keeps a publish waiting.
 */
final class SimWorker {
    private final int rank;
    private final KvCacheModel cache;
    private final PublishLog log;
    private final SplittableRandom overflowRandom;
    private volatile KvEventPublisher publisher;
    private volatile boolean down;
    private boolean released;
    // Gauges are written under the monitor but read without it, so a scrape never waits for a long overflow burst.
    private volatile long prefixQueryTokens;
    private volatile long prefixHitTokens;
    private volatile long served;
    private volatile int cachedBlocks;
    // The publisher of the current incarnation, or of the last one while down: metrics and identity read it.
    private volatile KvEventPublisher lastPublisher;
    private final RequestGauges requests = new RequestGauges();

    SimWorker(int rank, KvCacheModel cache, PublishLog log, long seed) {
        this.rank = rank;
        this.cache = cache;
        this.log = log;
        this.overflowRandom = new SplittableRandom(seed * 31 + rank);
    }

    synchronized void attach(KvEventPublisher newPublisher) {
        this.publisher = newPublisher;
        this.lastPublisher = newPublisher;
    }

    /** The current publisher, or null while down or before the pod started; never waits. */
    KvEventPublisher publisher() {
        return publisher;
    }

    boolean isUp() {
        return !down && publisher != null;
    }

    /** The current incarnation's epoch, or the last one's while down. */
    int epoch() {
        return lastPublisher().epoch();
    }

    /** The current incarnation's publisher id, or the last one's while down. */
    UUID publisherId() {
        return lastPublisher().publisherId();
    }

    private KvEventPublisher lastPublisher() {
        KvEventPublisher p = this.lastPublisher;
        if (p == null) {
            throw new IllegalStateException("rank " + rank + " has never been bound: start the pod first");
        }
        return p;
    }

    /**
     * The process exits: the publisher closes both sockets and the cache is lost without an event. Operations wait
     * until {@link #comeUp}; {@link #epoch()} stays the closed incarnation's.
     */
    void goDown() {
        stopReplayService();
        synchronized (this) {
            KvEventPublisher p = requirePublisher();
            down = true;
            p.close();
            publisher = null;
            resetCache();
        }
    }

    /** The new incarnation is bound: publishes {@code burst} batches at once, then lets waiting operations in. */
    synchronized void comeUp(KvEventPublisher newPublisher, int burst) {
        attach(newPublisher);
        down = false;
        burst(burst);
        notifyAll();
    }

    /** A restart with the sockets kept bound: cache lost, seq back to 0, new epoch, then {@code burst} batches. */
    synchronized void restartInPlace(int burst) {
        KvEventPublisher p = awaitPublisher();
        resetCache();
        p.restart();
        burst(burst);
    }

    /**
     * Cuts a replay being sent, as a dying process does. Unlocked: a vLLM-mode replay may keep a publish, and so this
     * worker's monitor, waiting until it ends.
     */
    void stopReplayService() {
        KvEventPublisher current = publisher;
        if (current != null) {
            current.stopReplayService();
        }
    }

    /** The pod closes: operations waiting for a restart to finish are let go (and fail: nothing is bound). */
    synchronized void release() {
        released = true;
        notifyAll();
    }

    synchronized ServedPrompt serve(int[] promptTokens, String lora) {
        awaitPublisher();
        ServeResult result = cache.serve(promptTokens, lora);
        served++;
        prefixQueryTokens += (long) result.promptBlocks() * cache.blockSize();
        prefixHitTokens += (long) result.hitBlocks() * cache.blockSize();
        cachedBlocks = cache.size();
        return new ServedPrompt(result.promptBlocks(), result.hitBlocks(), result.storedBlocks(),
                publishIfAny(result.events()));
    }

    synchronized PublishedBatch clear() {
        KvEventPublisher p = awaitPublisher();
        List<SimEvent> events = cache.clear();
        cachedBlocks = 0;
        return p.publish(events);
    }

    synchronized Optional<PublishedBatch> evict(int blocks) {
        awaitPublisher();
        List<SimEvent> events = cache.evictLru(blocks);
        cachedBlocks = cache.size();
        return publishIfAny(events);
    }

    /** Publishes arbitrary events without touching the cache: the ground truth does not follow them. */
    synchronized PublishedBatch publishEvents(List<? extends SimEvent> events) {
        return awaitPublisher().publish(events);
    }

    synchronized long publishRaw(byte[] payload) {
        return awaitPublisher().publishRaw(payload);
    }

    /** n random 1-4 block prompts served back to back: a burst of real batches that keeps the ground truth exact. */
    synchronized int overflow(int n) {
        awaitPublisher();
        int published = 0;
        for (int i = 0; i < n; i++) {
            if (serveRandomPrompt()) {
                published++;
            }
        }
        return published;
    }

    /** Exactly {@code n} batches of random prompts (a prompt that produced no event is not counted). */
    private void burst(int n) {
        int published = 0;
        for (int attempts = 0; published < n && attempts < 10 * n + 10; attempts++) {
            if (serveRandomPrompt()) {
                published++;
            }
        }
    }

    private boolean serveRandomPrompt() {
        int bs = cache.blockSize();
        int[] tokens = new int[bs * (1 + overflowRandom.nextInt(4))];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = overflowRandom.nextInt(32_000);
        }
        List<SimEvent> events = cache.serve(tokens, null).events();
        cachedBlocks = cache.size();
        return publishIfAny(events).isPresent();
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
        KvEventPublisher p = lastPublisher;
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

    /** The publisher, after waiting out a restart's downtime; the caller holds the monitor. */
    private KvEventPublisher awaitPublisher() {
        while (down && !released) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while rank " + rank + " was down", e);
            }
        }
        return requirePublisher();
    }

    private KvEventPublisher requirePublisher() {
        KvEventPublisher p = publisher;
        if (p == null) {
            throw new IllegalStateException("rank " + rank + " has no bound publisher: "
                    + (released ? "the pod is closed" : "start the pod first"));
        }
        return p;
    }
}
