package io.kvrelay.router.state;

import io.kvrelay.router.scoring.InFlight;
import io.kvrelay.router.scoring.PodScorer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's cache of pod state per service (seed 003's ServiceStateCache), refreshed from stream-app at a fixed
 * interval. A service enters on its first request (read through, a miss) and leaves after {@code expiry} without
 * one. When stream-app is unreachable the last state keeps answering, and {@link #staleness} says how old it is;
 * once it is older than {@link Config#staleAfter} its pods are flagged {@code stale}, as stream-app flags the pods
 * whose bridge went silent, so a user sees one notion of "routed on the last known state".
 * Thread-safe; reads never block on stream-app except a service's very first.
 */
public final class ServiceStateCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceStateCache.class);

    /** @param refreshInterval how often every cached service is re-read
     *  @param expiry          a service not asked for this long is dropped
     *  @param maxServices     at most this many services are cached (the least recently asked go first) */
    public record Config(Duration refreshInterval, Duration expiry, int maxServices) {
        public Config {
            if (refreshInterval == null || refreshInterval.isNegative() || refreshInterval.isZero()) {
                throw new IllegalArgumentException("stateCache.refreshInterval must be > 0");
            }
            if (expiry == null || expiry.compareTo(refreshInterval) <= 0) {
                throw new IllegalArgumentException("stateCache.expiry must be longer than refreshInterval");
            }
            if (maxServices <= 0) {
                throw new IllegalArgumentException("stateCache.maxServices must be > 0, got " + maxServices);
            }
        }

        public static Config defaults() {
            return new Config(Duration.ofMillis(500), Duration.ofMinutes(10), 10_000);
        }

        /**
         * A service's state not refreshed for this long is stale: three missed refreshes, so one slow answer from
         * stream-app does not flag anything.
         */
        public Duration staleAfter() {
            return refreshInterval.multipliedBy(3);
        }
    }

    private record Entry(List<PodInfo> pods, long refreshedAtMs, long lastAskedMs) {
        Entry asked(long now) {
            return new Entry(pods, refreshedAtMs, now);
        }
    }

    /** The seed's statistics, plus how many refreshes failed. */
    public record Stats(int entries, long hits, long misses, long updates, long failedUpdates,
                        long lastUpdateAtMs, double averageUpdateMs) {
    }

    private final PodSource client;
    private final PodScorer scorer;
    private final Config config;
    private final Clock clock;
    private final Map<String, Entry> services = new ConcurrentHashMap<>();
    /** One lock per service ever asked for, serialising first reads (a few bytes per service; never removed). */
    private final Map<String, Object> firstReads = new ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong updateNanos = new AtomicLong();
    private volatile long lastUpdateAtMs;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "state-cache-refresh");
        t.setDaemon(true);
        return t;
    });

    public ServiceStateCache(PodSource client, PodScorer scorer, Config config, Clock clock) {
        this.client = client;
        this.scorer = scorer;
        this.config = config;
        this.clock = clock;
    }

    public ServiceStateCache start() {
        long ms = config.refreshInterval().toMillis();
        timer.scheduleWithFixedDelay(this::refreshAll, ms, ms, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether the service's pods were read already: then {@link #pods} answers from memory, without blocking. */
    public boolean isCached(String namespace, String service) {
        return services.containsKey(namespace + "/" + service);
    }

    /**
     * Every pod of the service as last read.
     *
     * @throws PodSource.Unavailable only for a service never read before, when stream-app cannot be reached
     */
    public List<PodInfo> pods(String namespace, String service) throws PodSource.Unavailable {
        String key = namespace + "/" + service;
        long now = clock.millis();
        Entry e = services.get(key);
        if (e != null) {
            hits.incrementAndGet();
            services.put(key, e.asked(now));
            return asOf(e, now);
        }
        // One read per service however many requests miss at once: the first reads, the others wait for it.
        synchronized (firstReads.computeIfAbsent(key, k -> new Object())) {
            e = services.get(key);
            if (e != null) {
                hits.incrementAndGet();
                return asOf(e, now);
            }
            misses.incrementAndGet();
            List<PodInfo> pods = fetch(namespace, service);
            if (services.size() >= config.maxServices()) {
                evictLeastRecentlyAsked();
            }
            services.put(key, new Entry(pods, now, now));
            return pods;
        }
    }

    /**
     * Reads the service's state from stream-app now, not at the next interval (after an operator's command through
     * this router, so its next decision already sees it).
     */
    public List<PodInfo> refresh(String namespace, String service) throws PodSource.Unavailable {
        String key = namespace + "/" + service;
        List<PodInfo> pods = fetch(namespace, service);
        long now = clock.millis();
        services.merge(key, new Entry(pods, now, now), (old, fresh) -> new Entry(pods, now, old.lastAskedMs()));
        return pods;
    }

    public List<PodInfo> alivePods(String ns, String service) throws PodSource.Unavailable {
        return pods(ns, service).stream().filter(PodInfo::alive).toList();
    }

    public List<PodInfo> routablePods(String ns, String service) throws PodSource.Unavailable {
        return pods(ns, service).stream().filter(PodInfo::routable).toList();
    }

    /** Available: alive, drained or not (the seed's rule for honouring an existing link's pod). */
    public boolean isPodAvailable(String ns, String service, String pod) throws PodSource.Unavailable {
        return find(ns, service, pod).map(PodInfo::alive).orElse(false);
    }

    public boolean isPodRoutable(String ns, String service, String pod) throws PodSource.Unavailable {
        return find(ns, service, pod).map(PodInfo::routable).orElse(false);
    }

    public Optional<PodInfo> find(String ns, String service, String pod) throws PodSource.Unavailable {
        return pods(ns, service).stream().filter(p -> p.pod().equals(pod)).findFirst();
    }

    /**
     * The routable pod that would answer an empty prompt first (load alone, including the work routers just sent:
     * {@code inFlight}), where the seed picked one at random.
     */
    public Optional<PodInfo> bestPod(String ns, String service, long tieKey, InFlight inFlight)
            throws PodSource.Unavailable {
        List<PodInfo> routable = routablePods(ns, service);
        if (routable.isEmpty()) {
            return Optional.empty();
        }
        // The router's own rule: an overloaded pod is the best only when every pod is.
        return Optional.of(PodScorer.best(scorer.rank(routable, 0, NO_MATCHES, inFlight, tieKey)).pod());
    }

    /** The entry's pods, flagged stale when the entry itself is. */
    private List<PodInfo> asOf(Entry e, long now) {
        if (now - e.refreshedAtMs() <= config.staleAfter().toMillis()) {
            return e.pods();
        }
        List<PodInfo> out = new ArrayList<>(e.pods().size());
        e.pods().forEach(p -> out.add(p.asStale()));
        return out;
    }

    /** Pods of every cached service that are routed on stale state (stream-app's flag or this cache's age). */
    public int stalePods() {
        long now = clock.millis();
        int n = 0;
        for (Entry e : services.values()) {
            for (PodInfo p : asOf(e, now)) {
                n += p.stale() ? 1 : 0;
            }
        }
        return n;
    }

    /** How old this service's state is, or null when it is not cached. */
    public Duration staleness(String ns, String service) {
        Entry e = services.get(ns + "/" + service);
        return e == null ? null : Duration.ofMillis(Math.max(0, clock.millis() - e.refreshedAtMs()));
    }

    public Stats stats() {
        long n = updates.get();
        return new Stats(services.size(), hits.get(), misses.get(), n, failed.get(), lastUpdateAtMs,
                n == 0 ? 0 : updateNanos.get() / 1e6 / n);
    }

    private List<PodInfo> fetch(String ns, String service) throws PodSource.Unavailable {
        long t0 = System.nanoTime();
        try {
            List<PodInfo> pods = client.pods(ns, service);
            updates.incrementAndGet();
            updateNanos.addAndGet(System.nanoTime() - t0);
            lastUpdateAtMs = clock.millis();
            return pods;
        } catch (PodSource.Unavailable e) {
            failed.incrementAndGet();
            throw e;
        }
    }

    void refreshAll() {
        long now = clock.millis();
        for (Map.Entry<String, Entry> e : new ArrayList<>(services.entrySet())) {
            if (now - e.getValue().lastAskedMs() > config.expiry().toMillis()) {
                services.remove(e.getKey());
                continue;
            }
            String[] ns = e.getKey().split("/", 2);
            try {
                List<PodInfo> pods = fetch(ns[0], ns[1]);
                services.computeIfPresent(e.getKey(), (k, old) -> new Entry(pods, clock.millis(), old.lastAskedMs()));
            } catch (PodSource.Unavailable ex) {
                // Keep serving the last state; staleness() tells callers how old it is.
                log.debug("refresh of {} failed: {}", e.getKey(), ex.getMessage());
            } catch (RuntimeException ex) {
                log.warn("refresh of {} failed", e.getKey(), ex);
            }
        }
    }

    private void evictLeastRecentlyAsked() {
        services.entrySet().stream().min((a, b) -> Long.compare(a.getValue().lastAskedMs(), b.getValue().lastAskedMs()))
                .ifPresent(e -> services.remove(e.getKey()));
    }

    private static final PodScorer.Matches NO_MATCHES = new PodScorer.Matches() {
        @Override
        public int matched(String pod) {
            return 0;
        }

        @Override
        public int gpuMatched(String pod) {
            return 0;
        }
    };

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
