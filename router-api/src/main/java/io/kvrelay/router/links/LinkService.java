package io.kvrelay.router.links;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.kvrelay.router.links.LinkDecision.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The sticky-link operations of the seed's stateful-routing client driver, over a shared {@link LinkStore} (Redis)
 * and a local cache whose entries live shorter than the links in Redis.
 *
 * <p>{@link #computeLinkedPod} never throws for store failures: without Redis it answers the best pod without
 * stickiness (or a still-routable link from the local cache), and stickiness resumes as soon as the store answers.
 * The other operations throw {@link LinksUnavailableException} when the store cannot answer, and writes in a
 * namespace this router does not own throw {@link NamespaceNotOwnedException}. Bad arguments throw
 * {@link IllegalArgumentException}. Thread-safe.
 */
public final class LinkService {
    /** Conditional writes tried for one decision before answering without stickiness (routers disagreeing). */
    static final int MAX_ATTEMPTS = 3;

    private final LinkStore store;
    private final LinkConfig config;
    private final Ticker ticker;
    private final long touchNanos;
    private final Cache<LinkKey, CachedLink> cache;
    private final LinkMetrics metrics;

    /** A link as this router last saw it in Redis, and when its Redis TTL is next due for a refresh. */
    private record CachedLink(String pod, long touchDueAt) {
    }

    public LinkService(LinkStore store, LinkConfig config, MeterRegistry registry) {
        this(store, config, registry, Ticker.systemTicker());
    }

    LinkService(LinkStore store, LinkConfig config, MeterRegistry registry, Ticker ticker) {
        this.store = store;
        this.config = config;
        this.ticker = ticker;
        this.touchNanos = Duration.ofMillis(config.touchIntervalMs()).toNanos();
        this.cache = Caffeine.newBuilder().expireAfterWrite(Duration.ofMillis(config.cacheTtlMs()))
                .maximumSize(config.cacheMaxEntries()).ticker(ticker).build();
        this.metrics = new LinkMetrics(registry, cache);
    }

    /**
     * The pod for this user's request. If the user's link points at a routable pod, that pod (the link's TTL
     * refreshed). Otherwise {@code bestPod} (called at most once), linked atomically: created if absent, moved by
     * compare-and-set from an unroutable pod. When another router wins the race, its link is used if its pod is
     * routable; after {@value #MAX_ATTEMPTS} lost races the best pod is answered unlinked.
     *
     * @param routable whether a pod may take this user now (false for a drained or gone pod)
     * @param bestPod  the pod the scorer would pick for this request, or null if no pod is routable
     */
    public LinkDecision computeLinkedPod(String namespace, String user, String service, Predicate<String> routable,
                                         Supplier<String> bestPod) {
        LinkKey key = new LinkKey(namespace, user, service);
        Supplier<String> best = new Once(bestPod);
        boolean owned = config.owns(namespace);
        CachedLink cached = cachedLink(key);
        if (cached != null && !routable.test(cached.pod())) {
            drop(key);
            cached = null;
        } else if (cached != null && (!owned || ticker.read() - cached.touchDueAt() < 0)) {
            return metrics.decided(new LinkDecision(cached.pod(), Outcome.KEPT, true, true));
        }
        try {
            Optional<String> current = owned ? store.touch(key) : store.get(key);
            if (cached != null) {
                if (current.isPresent() && current.get().equals(cached.pod())) {
                    cache.put(key, fresh(cached.pod()));
                    return metrics.decided(new LinkDecision(cached.pod(), Outcome.KEPT, true, true));
                }
                if (current.isEmpty() && owned) {
                    // Gone from Redis although this cache, which lives shorter than the link, still has it: Redis
                    // lost it (flushed, failed over without persistence, evicted under memory pressure). Moving the
                    // user would lose the pod's cache of their conversation, so the link is written again, unless
                    // the user's links were deleted on purpose or another router has linked the user meanwhile.
                    LinkWrite w = store.restore(key, cached.pod());
                    if (w.written()) {
                        metrics.restored();
                        cache.put(key, fresh(cached.pod()));
                        return metrics.decided(new LinkDecision(cached.pod(), Outcome.KEPT, true, true));
                    }
                    current = Optional.ofNullable(w.pod());
                }
                drop(key); // moved by another router, or deleted on purpose: Redis is the truth
            }
            return metrics.decided(resolve(key, current.orElse(null), owned, routable, best));
        } catch (LinksUnavailableException e) {
            metrics.redisError();
            if (cached != null) {
                return metrics.decided(new LinkDecision(cached.pod(), Outcome.KEPT, true, false));
            }
            return metrics.decided(unlinked(best, Outcome.REDIS_UNAVAILABLE, false));
        }
    }

    private LinkDecision resolve(LinkKey key, String current, boolean owned, Predicate<String> routable,
                                 Supplier<String> best) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (current != null && routable.test(current)) {
                cache.put(key, fresh(current));
                return new LinkDecision(current, attempt == 0 ? Outcome.KEPT : Outcome.ADOPTED, false, true);
            }
            if (!owned) {
                return unlinked(best, Outcome.NAMESPACE_NOT_OWNED, true);
            }
            String pod = best.get();
            if (pod == null) {
                return new LinkDecision(null, Outcome.NO_ROUTABLE_POD, false, true);
            }
            LinkWrite write = current == null ? store.setIfAbsent(key, pod) : store.compareAndSet(key, current, pod);
            if (write.written()) {
                cache.put(key, fresh(pod));
                return new LinkDecision(pod, current == null ? Outcome.CREATED : Outcome.MOVED, false, true);
            }
            metrics.raceLost();
            current = write.pod(); // the winner's pod, or null if the link vanished meanwhile
        }
        return unlinked(best, Outcome.CONTENDED, true);
    }

    /** Cache first, then Redis; does not fill the cache (see {@link #getLinkedPodInCacheOrIfPersist}). */
    public Optional<String> getLinkedPod(String namespace, String user, String service) {
        LinkKey key = new LinkKey(namespace, user, service);
        CachedLink cached = cachedLink(key);
        return cached != null ? Optional.of(cached.pod()) : storeCall(() -> store.get(key));
    }

    /** Cache first, then Redis; a link found in Redis is cached, so the next lookups stay local. */
    public Optional<String> getLinkedPodInCacheOrIfPersist(String namespace, String user, String service) {
        LinkKey key = new LinkKey(namespace, user, service);
        CachedLink cached = cachedLink(key);
        if (cached != null) {
            return Optional.of(cached.pod());
        }
        Optional<String> pod = storeCall(() -> store.get(key));
        // not touched: its TTL refresh is due on first use
        pod.ifPresent(p -> cache.put(key, new CachedLink(p, ticker.read())));
        return pod;
    }

    /** Redis only, bypassing (and not filling) the cache. */
    public Optional<String> getLinkedPodNotCache(String namespace, String user, String service) {
        LinkKey key = new LinkKey(namespace, user, service);
        return storeCall(() -> store.get(key));
    }

    /** The local cache only; never calls Redis. */
    public Optional<String> getLinkedInCache(String namespace, String user, String service) {
        return Optional.ofNullable(cache.getIfPresent(new LinkKey(namespace, user, service))).map(CachedLink::pod);
    }

    /** Forgets the cached link, so the next use reads Redis. The link in Redis is untouched. */
    public void cacheExpired(String namespace, String user, String service) {
        cache.invalidate(new LinkKey(namespace, user, service));
    }

    /** Puts a link in the local cache only (it expires after {@code links.cacheTtlMs}); Redis is untouched. */
    public void setCache(String namespace, String user, String service, String pod) {
        LinkKey.requirePod(pod);
        cache.put(new LinkKey(namespace, user, service), fresh(pod));
    }

    /**
     * Links the user to {@code pod} unless already linked; either way returns the link that now exists, and caches
     * it. Only in owned namespaces.
     */
    public LinkWrite setLinkedPodIfAbsent(String namespace, String user, String service, String pod) {
        LinkKey key = new LinkKey(namespace, user, service);
        requireOwned(namespace);
        LinkWrite write = storeCall(() -> store.setIfAbsent(key, pod));
        cache.put(key, fresh(write.pod()));
        return write;
    }

    /** Every service the user is linked in, with its pod: service → pod. Read from Redis. */
    public Map<String, String> getLinkService(String namespace, String user) {
        return storeCall(() -> store.servicesOf(namespace, user));
    }

    /** For one service, which users are linked to which pod: pod → users. Cached links first, one MGET for the rest. */
    public Map<String, List<String>> batchGetLinkedPod(String namespace, String service, Collection<String> users) {
        Map<String, List<String>> byPod = new TreeMap<>();
        List<String> misses = new ArrayList<>();
        for (String user : new LinkedHashSet<>(users)) {
            CachedLink cached = cache.getIfPresent(new LinkKey(namespace, user, service));
            if (cached == null) {
                misses.add(user);
            } else {
                byPod.computeIfAbsent(cached.pod(), p -> new ArrayList<>()).add(user);
            }
        }
        if (!misses.isEmpty()) {
            storeCall(() -> store.batchGet(namespace, service, misses))
                    .forEach((pod, us) -> byPod.computeIfAbsent(pod, p -> new ArrayList<>()).addAll(us));
        }
        return byPod;
    }

    /** Admin: deletes every link of the user in the namespace, here and in Redis. Only in owned namespaces. */
    public int deleteLinks(String namespace, String user) {
        LinkKey.requireName("namespace", namespace);
        LinkKey.requireUser(user);
        requireOwned(namespace);
        int deleted = storeCall(() -> store.delete(namespace, user));
        // other routers' caches forget within links.touchIntervalMs, when their touch finds the link gone
        cache.asMap().keySet().removeIf(k -> k.namespace().equals(namespace) && k.user().equals(user));
        return deleted;
    }

    private CachedLink cachedLink(LinkKey key) {
        CachedLink cached = cache.getIfPresent(key);
        if (cached == null) {
            metrics.cacheMiss();
        } else {
            metrics.cacheHit();
        }
        return cached;
    }

    private CachedLink fresh(String pod) {
        return new CachedLink(pod, ticker.read() + touchNanos);
    }

    private void drop(LinkKey key) {
        cache.invalidate(key);
        metrics.cacheDropped();
    }

    private void requireOwned(String namespace) {
        if (!config.owns(namespace)) {
            throw new NamespaceNotOwnedException(namespace);
        }
    }

    private static LinkDecision unlinked(Supplier<String> best, Outcome outcome, boolean redisAvailable) {
        String pod = best.get();
        return new LinkDecision(pod, pod == null ? Outcome.NO_ROUTABLE_POD : outcome, false, redisAvailable);
    }

    private <T> T storeCall(Supplier<T> call) {
        try {
            return call.get();
        } catch (LinksUnavailableException e) {
            metrics.redisError();
            throw e;
        }
    }

    /** Calls the scorer at most once per decision, however many attempts the decision takes. */
    private static final class Once implements Supplier<String> {
        private final Supplier<String> delegate;
        private boolean called;
        private String value;

        Once(Supplier<String> delegate) {
            this.delegate = delegate;
        }

        @Override
        public String get() {
            if (!called) {
                value = delegate.get();
                called = true;
            }
            return value;
        }
    }
}
