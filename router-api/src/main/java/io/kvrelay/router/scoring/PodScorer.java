package io.kvrelay.router.scoring;

import io.kvrelay.router.state.PodInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Scores candidate pods for one request by their predicted time to first token (ms); pure and thread-safe.
 *
 * <pre>
 * cost(pod) = queued + work × prefillMsPerBlock + runningMs × running + kvUsageMs × kvCacheUsage
 *   work     = uncached + cpuBlockCost × cpuOnly + storageBlockCost × storageOnly       (blocks to compute or load)
 *   queued   = max(in-flight prefill the router counted on the pod, waiting × per-request prefill)
 *   running  = reported running + requests sent within reportLagMs (not in the pod's reports yet)
 *   matched       = leading prompt blocks the pod holds in any tier (GPU, CPU or STORAGE)
 *   memoryMatched = leading prompt blocks it holds on GPU or in CPU memory;  gpuMatched = on GPU
 *   uncached = promptBlocks − matched;  cpuOnly = memoryMatched − gpuMatched;  storageOnly = matched − memoryMatched
 * </pre>
 * The queue is the router's own count first ({@link InFlight}: every decision of every replica adds its prefill
 * time, which drains at the predicted speed), because the pods' reports lag; the pod's reported waiting requests
 * (each at the mean prefill of the requests recently sent to it, else {@code waitingMs}) count when they say more,
 * for traffic the router did not send or a pod slower than predicted. Counting both would count each request twice.
 * The three prefixes are nested ({@code gpuMatched <= memoryMatched <= matched}): vLLM reuses the GPU prefix, then
 * loads what follows from CPU, then from storage. A block after a storage-only one is priced as storage even when it
 * is in CPU memory: a slight overestimate, never an underestimate. Blocks a pod announced REMOTE are no part of it.
 * Unknown load never counts as zero: a load figure a pod does not report (its scrapes fail: it may be hung) counts as
 * the highest one reported by another candidate, so a silent pod cannot look like the idlest; when no candidate
 * reports it, it counts as 0 for all alike. The lowest cost wins. Ties (for example a new prompt on idle pods) go to
 * the highest rendezvous hash of (tie key, pod): deterministic for the same request, yet spread across pods for
 * different ones, where a fixed order (by name) would send every tie to the same pod.
 */
public final class PodScorer {
    private final CostModel m;

    public PodScorer(CostModel model) {
        this.m = model;
    }

    public CostModel model() {
        return m;
    }

    /**
     * One candidate's figures and its cost.
     *
     * @param cost      predicted time to first token on this pod, ms (without the fixed overhead every pod shares)
     * @param queuedMs  of it, the prefill work queued ahead of the request
     * @param prefillMs of it, this request's own prefill (its uncached and tier-loaded blocks): what choosing the pod
     *                  adds to the pod's queue
     */
    public record Score(PodInfo pod, int matched, int gpuMatched, int memoryMatched, double cost, boolean overloaded,
                        double queuedMs, double prefillMs) {
    }

    /** Prefix lengths of one pod, as stream-app reported them (0 when it reported none). */
    public interface Matches {
        int matched(String pod);

        int gpuMatched(String pod);

        /** On GPU or in CPU memory; by default every matched block (a source that knows no storage tier). */
        default int memoryMatched(String pod) {
            return matched(pod);
        }
    }

    /** Scores every candidate on its reported load alone, best first. */
    public List<Score> rank(List<PodInfo> candidates, int promptBlocks, Matches matches, long tieKey) {
        return rank(candidates, promptBlocks, matches, InFlight.NONE, tieKey);
    }

    /** Scores every candidate, best first, counting the work already sent to them. */
    public List<Score> rank(List<PodInfo> candidates, int promptBlocks, Matches matches, InFlight inFlight,
                            long tieKey) {
        KnownLoad busiest = KnownLoad.busiestOf(candidates);
        // The tie hash is computed once per pod, not once per comparison (a third of a 64-pod decision before).
        Ranked[] ranked = new Ranked[candidates.size()];
        for (int i = 0; i < ranked.length; i++) {
            PodInfo p = busiest.fill(candidates.get(i));
            int matched = Math.min(matches.matched(p.pod()), promptBlocks);
            int memory = Math.min(matches.memoryMatched(p.pod()), matched);
            int gpu = Math.min(matches.gpuMatched(p.pod()), memory);
            ranked[i] = new Ranked(score(p, promptBlocks, matched, memory, gpu, inFlight), rendezvous(tieKey, p.pod()));
        }
        Arrays.sort(ranked, BEST_FIRST);
        List<Score> out = new ArrayList<>(ranked.length);
        for (Ranked r : ranked) {
            out.add(r.score());
        }
        return out;
    }

    /**
     * The pod to choose from a ranking: the best one that is not overloaded; if all are, the cheapest anyway (still
     * better than refusing). Null for an empty ranking. The one rule for the router, its best-pod query and the
     * benchmark's and replay's kvrelay policy.
     */
    public static Score best(List<Score> ranked) {
        for (Score s : ranked) {
            if (!s.overloaded()) {
                return s;
            }
        }
        return ranked.isEmpty() ? null : ranked.get(0);
    }

    /**
     * Whether a user's link to {@code linked} is kept against the best pod {@code best}: while its pod is a candidate,
     * not overloaded, and predicted to answer at most {@code stickySlackMs} later than the best pod. The one sticky
     * rule of the router and of the benchmark's and replay's kvrelay policy.
     */
    public boolean keepsLink(Score linked, Score best) {
        return linked != null && !linked.overloaded()
                && (best == null || linked.cost() <= best.cost() + m.stickySlackMs());
    }

    private record Ranked(Score score, long tie) {
    }

    /** The highest load figures the candidates report; null where none reports one. */
    private record KnownLoad(Integer running, Integer waiting, Double kvCacheUsage) {
        static KnownLoad busiestOf(List<PodInfo> candidates) {
            // Primitives and an indexed loop: with boxed maxima merged in the loop, C2 gave up on this method and
            // on rank() ("out of nodes"), leaving the decision's hottest loop in the slower tier for good.
            boolean anyRunning = false;
            boolean anyWaiting = false;
            boolean anyKv = false;
            int running = 0;
            int waiting = 0;
            double kv = 0;
            for (int i = 0, n = candidates.size(); i < n; i++) {
                PodInfo p = candidates.get(i);
                Integer r = p.running();
                if (r != null) {
                    running = anyRunning ? Math.max(running, r) : r;
                    anyRunning = true;
                }
                Integer w = p.waiting();
                if (w != null) {
                    waiting = anyWaiting ? Math.max(waiting, w) : w;
                    anyWaiting = true;
                }
                Double k = p.kvCacheUsage();
                if (k != null) {
                    kv = anyKv ? Math.max(kv, k) : k;
                    anyKv = true;
                }
            }
            return new KnownLoad(anyRunning ? Integer.valueOf(running) : null,
                    anyWaiting ? Integer.valueOf(waiting) : null, anyKv ? Double.valueOf(kv) : null);
        }

        /** The pod as scored: its own figures where it reports them, the busiest reported ones where it does not. */
        PodInfo fill(PodInfo p) {
            if ((p.running() != null || running == null) && (p.waiting() != null || waiting == null)
                    && (p.kvCacheUsage() != null || kvCacheUsage == null)) {
                return p;
            }
            return filled(p);
        }

        /** A pod missing some figure (suspect, or not scraped yet): rare, and kept out of the loop's hot code. */
        private PodInfo filled(PodInfo p) {
            return p.withLoad(p.running() != null ? p.running() : running, p.waiting() != null ? p.waiting() : waiting,
                    p.kvCacheUsage() != null ? p.kvCacheUsage() : kvCacheUsage);
        }
    }

    /** Lowest cost first; among equal costs the highest tie hash. */
    private static final Comparator<Ranked> BEST_FIRST = (a, b) -> {
        int byCost = Double.compare(a.score().cost(), b.score().cost());
        return byCost != 0 ? byCost : Long.compare(b.tie(), a.tie());
    };

    /** One pod's score (see the class comment); expects {@code gpuMatched <= memoryMatched <= matched <= promptBlocks}. */
    public Score score(PodInfo p, int promptBlocks, int matched, int memoryMatched, int gpuMatched, InFlight inFlight) {
        double work = (promptBlocks - matched) + m.cpuBlockCost() * (memoryMatched - gpuMatched)
                + m.storageBlockCost() * (matched - memoryMatched);
        double prefillMs = work * m.prefillMsPerBlock();
        double mean = inFlight.meanPrefillMs(p.pod());
        double reportedQueue = orZero(p.waiting()) * (Double.isNaN(mean) ? m.waitingMs() : mean);
        double queuedMs = Math.max(inFlight.queuedMs(p.pod()), reportedQueue);
        int unreported = inFlight.unreported(p.pod());
        // Requests the front door is serving on the pod are known exactly; the pod's reports may not show them yet.
        int open = inFlight.open(p.pod());
        double cost = queuedMs + prefillMs + m.runningMs() * Math.max(orZero(p.running()) + unreported, open)
                + m.kvUsageMs() * (p.kvCacheUsage() == null ? 0 : p.kvCacheUsage());
        boolean overloaded = Math.max(orZero(p.running()) + orZero(p.waiting()) + unreported, open) >= m.maxInFlight()
                || (p.kvCacheUsage() != null && p.kvCacheUsage() >= m.maxKvUsage());
        return new Score(p, matched, gpuMatched, memoryMatched, cost, overloaded, queuedMs, prefillMs);
    }

    private static int orZero(Integer v) {
        return v == null ? 0 : v;
    }

    /** A 64-bit mix of the tie key and the pod name (splitmix64 finaliser over both). */
    static long rendezvous(long tieKey, String pod) {
        long h = tieKey ^ (pod.hashCode() * 0x9E3779B97F4A7C15L);
        h ^= h >>> 30;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 27;
        h *= 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }
}
