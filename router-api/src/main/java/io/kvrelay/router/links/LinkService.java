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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sticky-link operations of the seed's stateful-routing client driver, over a shared {@link LinkStore} (Redis)
 * and a local cache whose entries live shorter than the links in Redis.
 *
 * <p>{@link #computeLinkedPod} never throws for store failures, and never waits for Redis longer than
 * {@code links.redisDeadlineMs}: its Redis calls run on a small bounded pool of their own ({@code links.poolMaxTotal}
 * threads, {@code links.redisQueueSize} waiting calls), and past the deadline the decision answers the best pod
 * without stickiness (or a still-routable link from the local cache), while Redis' late answer still fills the cache.
 * A cached link in use has its Redis TTL refreshed behind the cache, on that pool, never on the request thread. So a
 * slow, stalled or dead Redis costs a route decision at most the deadline, and stickiness resumes as soon as Redis
 * answers in time again.
 *
 * <p>The other operations (the link API's explicit reads and writes) call the store on the caller's thread, bounded
 * by the Redis socket timeout; they throw {@link LinksUnavailableException} when the store cannot answer, and writes
 * in a namespace this router does not own throw {@link NamespaceNotOwnedException}. Bad arguments throw
 * {@link IllegalArgumentException}. Thread-safe.
 */
public final class LinkService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LinkService.class);
    /** Conditional writes tried for one decision before answering without stickiness (routers disagreeing). */
    static final int MAX_ATTEMPTS = 3;

    private final LinkStore store;
    private final LinkConfig config;
    private final Ticker ticker;
    private final long touchNanos;
    private final long deadlineNanos;
    private final Cache<LinkKey, CachedLink> cache;
    private final LinkMetrics metrics;
    /** Runs the Redis calls of route decisions and the touches behind the cache; bounded, so it may refuse. */
    private final Executor calls;
    /** The pool behind {@link #calls} when this service made it (null when a test passed its own executor). */
    private final ThreadPoolExecutor pool;

    /**
     * A link as this router last saw it in Redis. {@code touchDueAt} moves forward when a request claims the due TTL
     * refresh, without rewriting the entry: its cache lifetime counts from the last time Redis confirmed it.
     */
    private static final class CachedLink {
        final String pod;
        final AtomicLong touchDueAt;

        CachedLink(String pod, long touchDueAt) {
            this.pod = pod;
            this.touchDueAt = new AtomicLong(touchDueAt);
        }
    }

    public LinkService(LinkStore store, LinkConfig config, MeterRegistry registry) {
        this(store, config, registry, Ticker.systemTicker(), null);
    }

    /** @param calls runs Redis calls of route decisions; null = a bounded pool of this service's own */
    LinkService(LinkStore store, LinkConfig config, MeterRegistry registry, Ticker ticker, Executor calls) {
        this.store = store;
        this.config = config;
        this.ticker = ticker;
        this.touchNanos = Duration.ofMillis(config.touchIntervalMs()).toNanos();
        this.deadlineNanos = Duration.ofMillis(config.redisDeadlineMs()).toNanos();
        // Maintenance (eviction, expiry) on the calling thread: Caffeine's default, the common pool, woke a thread for
        // most cache writes, two or three thread switches per route decision under load.
        this.cache = Caffeine.newBuilder().expireAfterWrite(Duration.ofMillis(config.cacheTtlMs()))
                .maximumSize(config.cacheMaxEntries()).ticker(ticker).executor(Runnable::run).build();
        this.pool = calls == null ? linkCallPool(config) : null;
        this.calls = calls == null ? pool : calls;
        this.metrics = new LinkMetrics(registry, cache, pool == null ? null : pool.getQueue());
    }

    private static ThreadPoolExecutor linkCallPool(LinkConfig config) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor p = new ThreadPoolExecutor(config.poolMaxTotal(), config.poolMaxTotal(), 30,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.redisQueueSize()), r -> {
                    Thread t = new Thread(r, "link-redis-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        p.allowCoreThreadTimeOut(true); // no threads while Redis is not needed (tests, routers without users)
        return p;
    }

    /**
     * The user's link from the local cache when it can be kept ({@link Outcome#KEPT}, its TTL refreshed behind the
     * cache when due), without a Redis call; null when deciding needs Redis (no cached link, or its pod cannot take
     * the user): then {@link #computeLinkedPod}. Never blocks, so an event loop may call it.
     */
    public LinkDecision cachedLink(String namespace, String user, String service, Predicate<String> routable) {
        LinkKey key = new LinkKey(namespace, user, service);
        CachedLink cached = cache.getIfPresent(key);
        if (cached == null || !routable.test(cached.pod)) {
            return null; // computeLinkedPod counts the miss, or the hit it drops
        }
        metrics.cacheHit();
        if (config.owns(namespace)) {
            touchBehindIfDue(key, cached);
        }
        return metrics.decided(new LinkDecision(cached.pod, Outcome.KEPT, true, true));
    }

    /**
     * The pod for this user's request. If the user's link points at a routable pod, that pod (the link's TTL
     * refreshed, behind the cache for a cached link). Otherwise {@code bestPod} (called at most once), linked
     * atomically: created if absent, moved by compare-and-set from an unroutable pod. When another router wins the
     * race, its link is used if its pod is routable; after {@value #MAX_ATTEMPTS} lost races the best pod is answered
     * unlinked. When Redis does not answer within {@code links.redisDeadlineMs}, the best pod is answered unlinked
     * ({@link Outcome#REDIS_UNAVAILABLE}, counted in {@code kvrelay.links.redis.late}); when Redis' late answer shows
     * the user had no link, they are linked to that pod behind the cache, so a Redis that stays slow still lets new
     * users stick from their next request on.
     *
     * @param routable whether a pod may take this user now (false for a drained or gone pod); called on this thread
     * @param bestPod  the pod the scorer would pick for this request, or null if no pod is routable; called on this
     *                 thread
     */
    public LinkDecision computeLinkedPod(String namespace, String user, String service, Predicate<String> routable,
                                         Supplier<String> bestPod) {
        LinkKey key = new LinkKey(namespace, user, service);
        Supplier<String> best = new Once(bestPod);
        boolean owned = config.owns(namespace);
        CachedLink cached = cachedLink(key);
        if (cached != null) {
            if (routable.test(cached.pod)) {
                if (owned) {
                    touchBehindIfDue(key, cached);
                }
                return metrics.decided(new LinkDecision(cached.pod, Outcome.KEPT, true, true));
            }
            drop(key, cached);
        }
        long deadline = System.nanoTime() + deadlineNanos;
        AtomicReference<String> answeredUnlinked = new AtomicReference<>();
        try {
            Optional<String> current = await(deadline, owned ? () -> store.touch(key) : () -> store.get(key), pod -> {
                if (pod.isPresent()) {
                    fillLate(key, pod.get());
                } else if (owned && answeredUnlinked.get() != null) {
                    behind(() -> linkBehind(key, answeredUnlinked.get()));
                }
            });
            return metrics.decided(resolve(key, current.orElse(null), owned, routable, best, deadline));
        } catch (RedisLate e) {
            LinkDecision d = unlinked(best, Outcome.REDIS_UNAVAILABLE, false);
            // The user has no link Redis could show in time; if the late answer says there is none, the user is
            // linked behind the cache to the pod answered now, so their next request sticks even while Redis is slow.
            answeredUnlinked.set(d.pod());
            return metrics.decided(d);
        } catch (LinksUnavailableException e) {
            metrics.redisError();
            return metrics.decided(unlinked(best, Outcome.REDIS_UNAVAILABLE, false));
        }
    }

    private LinkDecision resolve(LinkKey key, String current, boolean owned, Predicate<String> routable,
                                 Supplier<String> best, long deadline) {
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
            String expected = current;
            LinkWrite write = await(deadline, () -> expected == null ? store.setIfAbsent(key, pod)
                    : store.compareAndSet(key, expected, pod), w -> {
                if (w.pod() != null) {
                    fillLate(key, w.pod());
                }
            });
            if (write.written()) {
                cache.put(key, fresh(pod));
                return new LinkDecision(pod, current == null ? Outcome.CREATED : Outcome.MOVED, false, true);
            }
            metrics.raceLost();
            current = write.pod(); // the winner's pod, or null if the link vanished meanwhile
        }
        return unlinked(best, Outcome.CONTENDED, true);
    }

    /**
     * Claims the due TTL refresh of a cached link (one request per interval wins) and runs it behind the cache: the
     * request that claimed it is answered from the cache at once.
     */
    private void touchBehindIfDue(LinkKey key, CachedLink cached) {
        long now = ticker.read();
        long due = cached.touchDueAt.get();
        if (now - due < 0 || !cached.touchDueAt.compareAndSet(due, now + touchNanos)) {
            return;
        }
        behind(() -> refresh(key, cached)); // if refused, the link lives redisTtlMs - touchIntervalMs more
    }

    /** Runs a Redis call nobody waits for on the link-call pool, unless its queue is full (then counted). */
    private void behind(Runnable call) {
        try {
            calls.execute(call);
        } catch (RejectedExecutionException e) {
            metrics.redisDropped();
        }
    }

    /** The touch of a cached link, on the link-call pool; follows Redis when the link moved, restores it if lost. */
    private void refresh(LinkKey key, CachedLink cached) {
        try {
            Optional<String> current = store.touch(key);
            if (current.isPresent() && current.get().equals(cached.pod)) {
                cache.asMap().replace(key, cached, fresh(cached.pod));
                return;
            }
            if (current.isEmpty()) {
                // Gone from Redis although this cache, which lives shorter than the link, still has it: Redis lost it
                // (flushed, failed over without persistence, evicted under memory pressure). Moving the user would
                // lose the pod's cache of their conversation, so the link is written again, unless the user's links
                // were deleted on purpose or another router has linked the user meanwhile.
                LinkWrite w = store.restore(key, cached.pod);
                if (w.written()) {
                    metrics.restored();
                    cache.asMap().replace(key, cached, fresh(cached.pod));
                    return;
                }
                current = Optional.ofNullable(w.pod());
            }
            // moved by another router, or deleted on purpose: Redis is the truth (the next decision checks the pod)
            if (current.isPresent()) {
                cache.asMap().replace(key, cached, fresh(current.get()));
            } else if (cache.asMap().remove(key, cached)) {
                metrics.cacheDropped();
            }
        } catch (LinksUnavailableException e) {
            metrics.redisError(); // the cached link serves on; the next interval tries again
        } catch (RuntimeException e) {
            log.warn("refreshing the link of {} failed", key, e);
        }
    }

    /**
     * Runs one store call of a route decision on the link-call pool and waits for it until {@code deadline}
     * ({@link System#nanoTime()}). A call that misses it still completes, and hands its answer to {@code late}.
     *
     * <p>When calls are already queued behind every thread, Redis is backed up: the call is queued all the same (its
     * answer fills the cache) but not waited for, since it could not start before others finish.
     *
     * @param late cheap (a cache write, or handing a call to {@link #behind}): it may run on this thread
     * @throws RedisLate                 the deadline passed first, Redis is backed up (counted as late), or the
     *                                   pool's queue is full (counted as dropped)
     * @throws LinksUnavailableException the store failed
     */
    private <T> T await(long deadline, Supplier<T> call, Consumer<T> late) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            metrics.redisLate();
            throw RedisLate.INSTANCE;
        }
        boolean backedUp = pool != null && pool.getQueue().size() >= pool.getMaximumPoolSize();
        CompletableFuture<T> answer;
        try {
            answer = CompletableFuture.supplyAsync(call, calls);
        } catch (RejectedExecutionException e) {
            metrics.redisDropped();
            throw RedisLate.INSTANCE;
        }
        try {
            if (backedUp) {
                throw new TimeoutException();
            }
            return answer.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            metrics.redisLate();
            answer.thenAccept(late);
            throw RedisLate.INSTANCE;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new LinksUnavailableException("link call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LinksUnavailableException("interrupted while waiting for Redis", e);
        }
    }

    /** Links a user answered without a link (Redis late) to the pod they were sent to, on the link-call pool. */
    private void linkBehind(LinkKey key, String pod) {
        try {
            LinkWrite w = store.setIfAbsent(key, pod);
            if (w.pod() != null) {
                fillLate(key, w.pod());
            }
        } catch (LinksUnavailableException e) {
            metrics.redisError(); // the next request tries again
        }
    }

    /** A late answer from Redis: cached unless something newer is (the decision it was for is long answered). */
    private void fillLate(LinkKey key, String pod) {
        cache.asMap().putIfAbsent(key, fresh(pod));
    }

    /** Cache first, then Redis; does not fill the cache (see {@link #getLinkedPodInCacheOrIfPersist}). */
    public Optional<String> getLinkedPod(String namespace, String user, String service) {
        LinkKey key = new LinkKey(namespace, user, service);
        CachedLink cached = cachedLink(key);
        return cached != null ? Optional.of(cached.pod) : storeCall(() -> store.get(key));
    }

    /** Cache first, then Redis; a link found in Redis is cached, so the next lookups stay local. */
    public Optional<String> getLinkedPodInCacheOrIfPersist(String namespace, String user, String service) {
        LinkKey key = new LinkKey(namespace, user, service);
        CachedLink cached = cachedLink(key);
        if (cached != null) {
            return Optional.of(cached.pod);
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
        return Optional.ofNullable(cache.getIfPresent(new LinkKey(namespace, user, service))).map(c -> c.pod);
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
                byPod.computeIfAbsent(cached.pod, p -> new ArrayList<>()).add(user);
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

    private void drop(LinkKey key, CachedLink cached) {
        if (cache.asMap().remove(key, cached)) {
            metrics.cacheDropped();
        }
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

    /** Stops the link-call pool; calls still queued are dropped. */
    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /**
     * Redis did not answer a route decision's call in time, or the call was refused (queue full); stackless, as it is
     * routine while Redis is slow.
     */
    private static final class RedisLate extends RuntimeException {
        static final RedisLate INSTANCE = new RedisLate();

        private RedisLate() {
            super("Redis did not answer within links.redisDeadlineMs", null, false, false);
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
