package io.kvrelay.launcher.replay;

import io.kvrelay.stream.index.PrefixIndex;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Everything the replay learns about one service ({@code namespace/service}): per pod, over time, and its decisions. */
final class ServiceReport {
    /** The state at one sample instant. Rates are over the interval that ends at {@code at}. */
    record Sample(String at, Map<String, Long> blocksHeld, Map<String, Double> storedPerSecond,
                  Map<String, Double> removedPerSecond, long keys, Map<Integer, Long> holders, double meanHolders) {
    }

    /** A worker reset, when and why. */
    record Reset(String at, String pod, String reason) {
    }

    final String service;
    final Map<String, PodActivity> pods = new TreeMap<>();
    final List<Sample> samples = new ArrayList<>();
    final List<Reset> resets = new ArrayList<>();
    final BlockLifetimes lifetimes = new BlockLifetimes();
    final DecisionTally decisions = new DecisionTally();
    /** (worker, block) entries that appeared in the window and are still held: blocks without a lifetime yet. */
    long liveEntries;
    /** Blocks removed in the window that were stored before it (no lifetime known). */
    long removedUnseen;
    /** Stored blocks skipped because their prefix began before the window (their keys cannot be known). */
    long storedUnchained;

    ServiceReport(String service) {
        this.service = service;
    }

    PodActivity pod(String pod) {
        return pods.computeIfAbsent(pod, k -> new PodActivity());
    }

    /**
     * Samples this service: blocks held and the rates since the last sample per pod (from the pods' counters), and
     * prefix sharing from the index itself: for every key a worker of the service holds, how many workers hold it.
     *
     * @param workerIds the index's ids of this service's workers
     */
    void sample(Instant at, double intervalSeconds, PrefixIndex index, int[] workerIds) {
        Map<String, Long> held = new TreeMap<>();
        Map<String, Double> stored = new TreeMap<>();
        Map<String, Double> removed = new TreeMap<>();
        pods.forEach((name, p) -> {
            held.put(name, p.held);
            stored.put(name, p.storedSinceSample / intervalSeconds);
            removed.put(name, p.removedSinceSample / intervalSeconds);
            p.storedSinceSample = 0;
            p.removedSinceSample = 0;
        });
        Long2IntOpenHashMap holdersOfKey = new Long2IntOpenHashMap();
        Long2IntOpenHashMap lastWorker = new Long2IntOpenHashMap(); // a worker holding a key twice counts once
        lastWorker.defaultReturnValue(-1);
        for (int id : workerIds) {
            index.forEach(id, (engineHash, key, tiers) -> {
                if (lastWorker.put(key, id) != id) {
                    holdersOfKey.addTo(key, 1);
                }
            });
        }
        Map<Integer, Long> holders = new TreeMap<>();
        long entries = 0;
        for (int h : holdersOfKey.values()) {
            holders.merge(h, 1L, Long::sum);
            entries += h;
        }
        int keys = holdersOfKey.size();
        samples.add(new Sample(at.toString(), held, stored, removed, keys, holders,
                keys == 0 ? 0 : (double) entries / keys));
    }

    /** The JSON view of this service; {@code counterfactual} is filled by the replay once every decision is read. */
    record View(String service, List<PodActivity.Totals> pods, List<Sample> samples, BlockLifetimes.Summary lifetimes,
                long removedUnseen, long storedUnchained, List<Reset> resets, DecisionTally.Summary decisions,
                List<?> counterfactual) {
    }

    View view(List<?> counterfactual) {
        List<PodActivity.Totals> totals = new ArrayList<>();
        pods.forEach((name, p) -> totals.add(p.totals(name)));
        return new View(service, totals, samples, lifetimes.summary(), removedUnseen, storedUnchained, resets,
                decisions.summary(), counterfactual);
    }
}
