package io.kvrelay.router.scoring;

import io.kvrelay.router.state.PodInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Scores candidate pods for one request; pure and thread-safe.
 *
 * <pre>
 * cost(pod) = uncached + cpuBlockCost × cpuOnly + storageBlockCost × storageOnly
 *             + runningWeight × running + waitingWeight × waiting + kvUsageWeight × kvCacheUsage
 *   matched       = leading prompt blocks the pod holds in any tier (GPU, CPU or STORAGE)
 *   memoryMatched = leading prompt blocks it holds on GPU or in CPU memory;  gpuMatched = on GPU
 *   uncached = promptBlocks − matched;  cpuOnly = memoryMatched − gpuMatched;  storageOnly = matched − memoryMatched
 * </pre>
 * The three are nested prefixes ({@code gpuMatched <= memoryMatched <= matched}): vLLM reuses the GPU prefix, then
 * loads what follows from CPU, then from storage. A block after a storage-only one is priced as storage even when it
 * is in CPU memory: a slight overestimate, never an underestimate. Blocks a pod announced REMOTE are no part of it.
 * Unknown load never counts as zero: a load figure a pod does not report (its scrapes fail: it may be hung) counts as
 * the highest one reported by another candidate, so a silent pod cannot look like the idlest; when no candidate
 * reports it, it counts as 0 for all alike. The lowest cost wins. Ties (for example a new prompt on idle pods) go to the highest
 * rendezvous hash of (tie key, pod): deterministic for the same request, yet spread across pods for different ones,
 * where a fixed order (by name) would send every tie to the same pod.
 */
public final class PodScorer {
    private final CostWeights w;

    public PodScorer(CostWeights weights) {
        this.w = weights;
    }

    /** One candidate's figures and its cost. */
    public record Score(PodInfo pod, int matched, int gpuMatched, int memoryMatched, double cost, boolean overloaded) {
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

    /** Scores every candidate, best first. */
    public List<Score> rank(List<PodInfo> candidates, int promptBlocks, Matches matches, long tieKey) {
        KnownLoad busiest = KnownLoad.busiestOf(candidates);
        // The tie hash is computed once per pod, not once per comparison (a third of a 64-pod decision before).
        Ranked[] ranked = new Ranked[candidates.size()];
        for (int i = 0; i < ranked.length; i++) {
            PodInfo p = busiest.fill(candidates.get(i));
            int matched = Math.min(matches.matched(p.pod()), promptBlocks);
            int memory = Math.min(matches.memoryMatched(p.pod()), matched);
            int gpu = Math.min(matches.gpuMatched(p.pod()), memory);
            ranked[i] = new Ranked(new Score(p, matched, gpu, memory, cost(p, promptBlocks, matched, memory, gpu),
                    overloaded(p)), rendezvous(tieKey, p.pod()));
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

    private record Ranked(Score score, long tie) {
    }

    /** The highest load figures the candidates report; null where none reports one. */
    private record KnownLoad(Integer running, Integer waiting, Double kvCacheUsage) {
        static KnownLoad busiestOf(List<PodInfo> candidates) {
            Integer running = null;
            Integer waiting = null;
            Double kv = null;
            for (PodInfo p : candidates) {
                running = max(running, p.running());
                waiting = max(waiting, p.waiting());
                if (p.kvCacheUsage() != null && (kv == null || p.kvCacheUsage() > kv)) {
                    kv = p.kvCacheUsage();
                }
            }
            return new KnownLoad(running, waiting, kv);
        }

        private static Integer max(Integer a, Integer b) {
            return b == null ? a : a == null || b > a ? b : a;
        }

        /** The pod as scored: its own figures where it reports them, the busiest reported ones where it does not. */
        PodInfo fill(PodInfo p) {
            if ((p.running() != null || running == null) && (p.waiting() != null || waiting == null)
                    && (p.kvCacheUsage() != null || kvCacheUsage == null)) {
                return p;
            }
            return new PodInfo(p.namespace(), p.service(), p.pod(), p.podIndex(), p.address(), p.alive(),
                    p.routable(), p.draining(), p.running() != null ? p.running() : running,
                    p.waiting() != null ? p.waiting() : waiting,
                    p.kvCacheUsage() != null ? p.kvCacheUsage() : kvCacheUsage, p.blockSize(), p.blocksHeld());
        }
    }

    /** Lowest cost first; among equal costs the highest tie hash. */
    private static final Comparator<Ranked> BEST_FIRST = (a, b) -> {
        int byCost = Double.compare(a.score().cost(), b.score().cost());
        return byCost != 0 ? byCost : Long.compare(b.tie(), a.tie());
    };

    /** The cost of a pod whose matched blocks are all in memory (no storage tier). */
    public double cost(PodInfo p, int promptBlocks, int matched, int gpuMatched) {
        return cost(p, promptBlocks, matched, matched, gpuMatched);
    }

    /** The cost (see the class comment); expects {@code gpuMatched <= memoryMatched <= matched <= promptBlocks}. */
    public double cost(PodInfo p, int promptBlocks, int matched, int memoryMatched, int gpuMatched) {
        double uncached = promptBlocks - matched;
        double storageOnly = matched - memoryMatched;
        double cpuOnly = memoryMatched - gpuMatched;
        return uncached + w.cpuBlockCost() * cpuOnly + w.storageBlockCost() * storageOnly
                + w.runningWeight() * orZero(p.running()) + w.waitingWeight() * orZero(p.waiting())
                + w.kvUsageWeight() * (p.kvCacheUsage() == null ? 0 : p.kvCacheUsage());
    }

    /** Too busy to keep a sticky user: the link moves to a better pod. */
    public boolean overloaded(PodInfo p) {
        return orZero(p.running()) + orZero(p.waiting()) >= w.maxInFlight()
                || (p.kvCacheUsage() != null && p.kvCacheUsage() >= w.maxKvUsage());
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
