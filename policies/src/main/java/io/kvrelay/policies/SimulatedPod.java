package io.kvrelay.policies;

import java.util.PriorityQueue;

/**
 * One pod of an in-process run: a prefix cache (the subclass's) and the requests in flight on the simulated clock of
 * a {@link ServiceModel} run, from which it tells a policy its load: requests in flight, those still waiting for the
 * prefill slot, and the cache share the in-flight prompts take (vLLM's KV usage counts the blocks running requests
 * use, not the cached blocks it could evict), and how long a request arriving now would wait for its prefill slot.
 * Not thread-safe.
 *
 * @param <R> the requests it serves
 */
public abstract class SimulatedPod<R extends RoutedRequest> implements PodView<R> {
    private record Held(double finishMs, int blocks) {
    }

    private final String name;
    private final int capacityBlocks;
    private final PriorityQueue<Held> held = new PriorityQueue<>((a, b) -> Double.compare(a.finishMs(), b.finishMs()));
    private final PriorityQueue<Double> prefillStarts = new PriorityQueue<>();
    private long blocksInFlight;
    private double nowMs;
    /** End of the last prefill admitted: prefills run one at a time in admission order, so the slot is free then. */
    private double prefillFreeAtMs;

    protected SimulatedPod(String name, int capacityBlocks) {
        if (capacityBlocks <= 0) {
            throw new IllegalArgumentException("capacityBlocks must be > 0, got " + capacityBlocks);
        }
        this.name = name;
        this.capacityBlocks = capacityBlocks;
    }

    /** Serves the prompt on the pod's cache; returns its leading blocks that were already cached. */
    public abstract int serve(R request);

    @Override
    public final String name() {
        return name;
    }

    public final int capacityBlocks() {
        return capacityBlocks;
    }

    /** Moves the pod's clock to {@code nowMs}: requests finished by then leave, prefills started by then run. */
    public final void advanceTo(double nowMs) {
        this.nowMs = Math.max(this.nowMs, nowMs);
        while (!held.isEmpty() && held.peek().finishMs() <= nowMs) {
            blocksInFlight -= held.poll().blocks();
        }
        while (!prefillStarts.isEmpty() && prefillStarts.peek() <= nowMs) {
            prefillStarts.poll();
        }
    }

    /** The request, admitted with {@code timing}, occupies the pod (and its prompt's cached blocks) until it ends. */
    public final void hold(R request, ServiceModel.Timing timing) {
        int blocks = Math.min(request.promptBlocks(), capacityBlocks);
        held.add(new Held(timing.finishMs(), blocks));
        prefillStarts.add(timing.prefillStartMs());
        prefillFreeAtMs = Math.max(prefillFreeAtMs, timing.prefillEndMs());
        blocksInFlight += blocks;
    }

    @Override
    public final int inFlight() {
        return held.size();
    }

    @Override
    public final int waiting() {
        return prefillStarts.size();
    }

    @Override
    public final double prefillQueueMs() {
        return Math.max(0, prefillFreeAtMs - nowMs);
    }

    @Override
    public final Double kvCacheUsage() {
        return Math.min(1.0, (double) blocksInFlight / capacityBlocks);
    }
}
