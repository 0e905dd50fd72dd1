package io.kvrelay.router.inflight;

import io.kvrelay.router.scoring.InFlight;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The work routers have just sent to each pod, as they predicted it: every decision (this replica's at once, the
 * others' from the route-decisions topic, {@link DecisionFeed}) adds its predicted prefill time to the pod's queue,
 * which drains at the predicted speed (one prefill slot per pod, first come first served: a request's prefill starts
 * when the one before it ends), and counts as one request the pod's reports do not show yet for {@code reportLagMs}.
 * Nothing has to be released: the estimate decays by itself, and the pod's own reports take over (see
 * {@code PodScorer}). Keyed by pod id ({@code namespace/service/pod}). Thread-safe; each pod's figures under its own
 * lock, held for a few arithmetic operations.
 */
public final class InFlightLedger {
    /** Weight of the newest request in a pod's running mean of predicted prefill times. */
    private static final double MEAN_WEIGHT = 0.2;
    /** A pod nobody sent work to for this long is forgotten (pods come and go; the map must not grow forever). */
    private static final long FORGET_AFTER_MS = 10 * 60_000;
    private static final int SWEEP_EVERY = 4_096;

    private final long reportLagMs;
    private final LongSupplier clockMs;
    /**
     * Service ({@code namespace/service}) → pod name → its work. By service first, so a decision looks its service up
     * once and each pod by the name it already holds, without building a key string per pod (that and its hash were
     * a tenth of a 64-pod decision).
     */
    private final Map<String, Map<String, PodWork>> services = new ConcurrentHashMap<>();
    private int addsSinceSweep;

    /** @param clockMs wall-clock milliseconds: decisions from other replicas carry wall-clock instants */
    public InFlightLedger(long reportLagMs, LongSupplier clockMs) {
        if (reportLagMs < 0) {
            throw new IllegalArgumentException("reportLagMs must be >= 0, got " + reportLagMs);
        }
        this.reportLagMs = reportLagMs;
        this.clockMs = clockMs;
    }

    public InFlightLedger(long reportLagMs) {
        this(reportLagMs, System::currentTimeMillis);
    }

    /** A request sent to {@code podId} now, on this ledger's clock (this replica's own decision). */
    public void add(String podId, double prefillMs) {
        add(podId, clockMs.getAsLong(), prefillMs);
    }

    /** A request sent to {@code podId} at {@code atMs} whose prefill was predicted to take {@code prefillMs}. */
    public void add(String podId, long atMs, double prefillMs) {
        if (!(prefillMs >= 0) || Double.isInfinite(prefillMs)) {
            return; // nothing sensible to count
        }
        int slash = podId.lastIndexOf('/'); // pod names have no '/' (router-api's Names, the bridge's config)
        services.computeIfAbsent(podId.substring(0, Math.max(slash, 0)), k -> new ConcurrentHashMap<>())
                .computeIfAbsent(podId.substring(slash + 1), k -> new PodWork()).add(atMs, prefillMs, reportLagMs);
        if (++addsSinceSweep >= SWEEP_EVERY) { // racy on purpose: an extra or a missed sweep is harmless
            addsSinceSweep = 0;
            long now = clockMs.getAsLong();
            // A pod's work added between these two steps can be dropped with its empty service: harmless, the figures
            // are an estimate that decays within seconds anyway.
            services.values().forEach(pods -> pods.values().removeIf(w -> w.idleSince(now) > FORGET_AFTER_MS));
            services.values().removeIf(Map::isEmpty);
        }
    }

    /**
     * A request proxied to {@code podId} now: counted as open on the pod until the returned handle runs (at its
     * completion, failure or cancellation; later runs do nothing). Unlike a decision's estimate, which decays, this
     * is exact for as long as the request lasts.
     */
    public Runnable open(String podId) {
        int slash = podId.lastIndexOf('/');
        PodWork w = services.computeIfAbsent(podId.substring(0, Math.max(slash, 0)), k -> new ConcurrentHashMap<>())
                .computeIfAbsent(podId.substring(slash + 1), k -> new PodWork());
        w.opened();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                w.closed();
            }
        };
    }

    /** The figures of one service's pods now (pod names without namespace and service, as the scorer asks). */
    public InFlight view(String namespace, String service) {
        Map<String, PodWork> pods = services.getOrDefault(namespace + "/" + service, Map.of());
        long now = clockMs.getAsLong();
        return new InFlight() {
            private String lastPod;
            private PodWork last;

            // The scorer asks the figures of one pod in a row: one map lookup per pod.
            private PodWork of(String pod) {
                if (!pod.equals(lastPod)) {
                    lastPod = pod;
                    last = pods.get(pod);
                }
                return last;
            }

            @Override
            public double queuedMs(String pod) {
                PodWork w = of(pod);
                return w == null ? 0 : w.queuedMs(now);
            }

            @Override
            public int unreported(String pod) {
                PodWork w = of(pod);
                return w == null ? 0 : w.unreported(now, reportLagMs);
            }

            @Override
            public double meanPrefillMs(String pod) {
                PodWork w = of(pod);
                return w == null ? Double.NaN : w.meanPrefillMs();
            }

            @Override
            public int open(String pod) {
                PodWork w = of(pod);
                return w == null ? 0 : w.open();
            }
        };
    }

    /** Pods with figures (for tests and the state endpoint). */
    public int size() {
        return services.values().stream().mapToInt(Map::size).sum();
    }

    /** One pod's queue: when its prefill slot frees, the instants of recent requests, the mean prefill. */
    private static final class PodWork {
        private double freeAtMs;
        private final ArrayDeque<Long> sentAtMs = new ArrayDeque<>();
        private double meanPrefillMs = Double.NaN;
        private long lastAddMs;
        /** Requests proxied to the pod and not finished; a pod with any is never forgotten. */
        private int open;

        synchronized void add(long atMs, double prefillMs, long lagMs) {
            freeAtMs = Math.max(freeAtMs, atMs) + prefillMs;
            sentAtMs.addLast(atMs);
            // Bounded by the decisions of one report lag; old ones go as new ones come.
            while (sentAtMs.size() > 1 && sentAtMs.peekFirst() < atMs - lagMs) {
                sentAtMs.pollFirst();
            }
            meanPrefillMs = Double.isNaN(meanPrefillMs) ? prefillMs
                    : meanPrefillMs + MEAN_WEIGHT * (prefillMs - meanPrefillMs);
            lastAddMs = Math.max(lastAddMs, atMs);
        }

        synchronized double queuedMs(long now) {
            return Math.max(0, freeAtMs - now);
        }

        synchronized int unreported(long now, long lagMs) {
            // Instants arrive in order but for other replicas' decisions, a few ms late: pruning from the head is
            // exact for this replica's and off by those few ms for theirs. Constant time per pod and decision.
            while (!sentAtMs.isEmpty() && sentAtMs.peekFirst() <= now - lagMs) {
                sentAtMs.pollFirst();
            }
            return sentAtMs.size();
        }

        synchronized double meanPrefillMs() {
            return meanPrefillMs;
        }

        synchronized long idleSince(long now) {
            return open > 0 ? 0 : now - lastAddMs;
        }

        synchronized void opened() {
            open++;
        }

        synchronized void closed() {
            open--;
        }

        synchronized int open() {
            return open;
        }
    }
}
