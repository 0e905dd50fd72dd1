package io.kvrelay.router.links;

import java.util.Set;

/**
 * Sticky links: where they live in Redis, how long they last, and the router-side cache in front of them. A number
 * left at 0 (or absent from the file) takes its default; every setting is validated here, so a bad file fails at start
 * with a message that names it.
 *
 * @param redisHost         Redis host (standalone server or primary)
 * @param redisPort         its port
 * @param keyPrefix         prefix of every key this router writes (see {@link RedisLinkStore} for the layout)
 * @param redisTtlMs        a link not used for this long disappears from Redis (default 30 min)
 * @param cacheTtlMs        a link read from Redis is trusted locally this long before being read again; must be
 *                          shorter than redisTtlMs (default 80 % of it), as in the seed driver
 * @param touchIntervalMs   a link served from the local cache has its Redis TTL refreshed (and is re-read) at most
 *                          this often; a link in use therefore lives at least redisTtlMs - touchIntervalMs after its
 *                          last use (default min(60 s, cacheTtlMs / 2))
 * @param cacheMaxEntries   bound of the local cache, in links (default 100,000)
 * @param ownedNamespaces   namespaces in which this router creates, moves and deletes links; elsewhere it only reads
 *                          them (default {@code ["default"]}; an empty list makes the router read-only)
 * @param connectTimeoutMs  Redis connect timeout: small, so a dead Redis costs little per request (default 200)
 * @param socketTimeoutMs   Redis read timeout, same reason (default 200)
 * @param retryIntervalMs   after Redis fails to answer, calls fail at once for this long, then one call tries again
 *                          (default 500)
 * @param poolMaxTotal      Redis connections this router may open, and threads that make link calls for route
 *                          decisions (default 16)
 * @param redisDeadlineMs   longest a route decision waits for Redis; past it the decision is answered from the local
 *                          cache or without stickiness, and Redis' late answer still fills the cache (default 5;
 *                          at most socketTimeoutMs)
 * @param security          Redis login (ACL user, password) and TLS; null = none
 * @param redisQueueSize    link calls waiting for one of the poolMaxTotal threads; past this bound (Redis slow or
 *                          stalled) new ones are dropped and counted, the decision answered as if Redis were down
 *                          (default 256)
 */
public record LinkConfig(String redisHost, int redisPort, String keyPrefix, long redisTtlMs, long cacheTtlMs,
                         long touchIntervalMs, long cacheMaxEntries, Set<String> ownedNamespaces,
                         int connectTimeoutMs, int socketTimeoutMs, long retryIntervalMs, int poolMaxTotal,
                         long redisDeadlineMs, int redisQueueSize, RedisSecurity security) {
    /** A link unused this long disappears, unless configured otherwise (the seed driver's 30 minutes). */
    public static final long DEFAULT_REDIS_TTL_MS = 30 * 60_000L;


    public static final String DEFAULT_KEY_PREFIX = "kvrelay:link:";

    public LinkConfig {
        security = security == null ? RedisSecurity.NONE : security;
        redisHost = redisHost == null || redisHost.isBlank() ? "127.0.0.1" : redisHost.trim();
        redisPort = redisPort == 0 ? 6379 : redisPort;
        if (redisPort < 1 || redisPort > 65535) {
            throw new IllegalArgumentException("links.redisPort must be 1..65535, got " + redisPort);
        }
        keyPrefix = keyPrefix == null || keyPrefix.isEmpty() ? DEFAULT_KEY_PREFIX : keyPrefix;
        if (keyPrefix.isBlank()) {
            throw new IllegalArgumentException("links.keyPrefix must not be blank");
        }
        redisTtlMs = redisTtlMs == 0 ? DEFAULT_REDIS_TTL_MS : redisTtlMs;
        requirePositive("links.redisTtlMs", redisTtlMs);
        cacheTtlMs = cacheTtlMs == 0 ? redisTtlMs * 4 / 5 : cacheTtlMs;
        requirePositive("links.cacheTtlMs", cacheTtlMs);
        if (cacheTtlMs >= redisTtlMs) {
            throw new IllegalArgumentException("links.cacheTtlMs (" + cacheTtlMs + ") must be shorter than"
                    + " links.redisTtlMs (" + redisTtlMs + "): the cache would outlive the links it holds");
        }
        touchIntervalMs = touchIntervalMs == 0 ? Math.max(1, Math.min(60_000L, cacheTtlMs / 2)) : touchIntervalMs;
        requirePositive("links.touchIntervalMs", touchIntervalMs);
        if (touchIntervalMs > cacheTtlMs) {
            throw new IllegalArgumentException("links.touchIntervalMs (" + touchIntervalMs + ") must be at most"
                    + " links.cacheTtlMs (" + cacheTtlMs + ")");
        }
        cacheMaxEntries = cacheMaxEntries == 0 ? 100_000 : cacheMaxEntries;
        requirePositive("links.cacheMaxEntries", cacheMaxEntries);
        ownedNamespaces = ownedNamespaces == null ? Set.of("default") : Set.copyOf(ownedNamespaces);
        for (String ns : ownedNamespaces) {
            try {
                LinkKey.requireName("namespace", ns);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("links.ownedNamespaces: " + e.getMessage(), e);
            }
        }
        connectTimeoutMs = connectTimeoutMs == 0 ? 200 : connectTimeoutMs;
        requirePositive("links.connectTimeoutMs", connectTimeoutMs);
        socketTimeoutMs = socketTimeoutMs == 0 ? 200 : socketTimeoutMs;
        requirePositive("links.socketTimeoutMs", socketTimeoutMs);
        retryIntervalMs = retryIntervalMs == 0 ? 500 : retryIntervalMs;
        requirePositive("links.retryIntervalMs", retryIntervalMs);
        poolMaxTotal = poolMaxTotal == 0 ? 16 : poolMaxTotal;
        requirePositive("links.poolMaxTotal", poolMaxTotal);
        redisDeadlineMs = redisDeadlineMs == 0 ? Math.min(5, socketTimeoutMs) : redisDeadlineMs;
        requirePositive("links.redisDeadlineMs", redisDeadlineMs);
        if (redisDeadlineMs > socketTimeoutMs) {
            throw new IllegalArgumentException("links.redisDeadlineMs (" + redisDeadlineMs + ") must be at most"
                    + " links.socketTimeoutMs (" + socketTimeoutMs + "): a route would wait for a call Jedis gave up on");
        }
        redisQueueSize = redisQueueSize == 0 ? 256 : redisQueueSize;
        requirePositive("links.redisQueueSize", redisQueueSize);
    }

    /** Without the deadline settings: their defaults. */
    public LinkConfig(String redisHost, int redisPort, String keyPrefix, long redisTtlMs, long cacheTtlMs,
                      long touchIntervalMs, long cacheMaxEntries, Set<String> ownedNamespaces, int connectTimeoutMs,
                      int socketTimeoutMs, long retryIntervalMs, int poolMaxTotal) {
        this(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs, cacheMaxEntries,
                ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal, 0, 0, null);
    }

    /** This config logging in to Redis as {@code security} says. */
    public LinkConfig withSecurity(RedisSecurity security) {
        return new LinkConfig(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs,
                cacheMaxEntries, ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal,
                redisDeadlineMs, redisQueueSize, security);
    }

    /** Every setting at its default: Redis on 127.0.0.1:6379, owning namespace {@code default}. */
    public static LinkConfig defaults() {
        return new LinkConfig(null, 0, null, 0, 0, 0, 0, null, 0, 0, 0, 0);
    }

    /** Defaults against the given Redis, owning the given namespaces. */
    public static LinkConfig of(String redisHost, int redisPort, Set<String> ownedNamespaces) {
        return new LinkConfig(redisHost, redisPort, null, 0, 0, 0, 0, ownedNamespaces, 0, 0, 0, 0);
    }

    /** This config with other lifetimes (0 = default, derived from the others as documented above). */
    public LinkConfig withTtls(long redisTtlMs, long cacheTtlMs, long touchIntervalMs) {
        return new LinkConfig(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs,
                cacheMaxEntries, ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal,
                redisDeadlineMs, redisQueueSize, security);
    }

    /** This config with another key prefix, e.g. one per test so runs never see each other's links. */
    public LinkConfig withKeyPrefix(String keyPrefix) {
        return new LinkConfig(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs,
                cacheMaxEntries, ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal,
                redisDeadlineMs, redisQueueSize, security);
    }

    /** This config with another fail-fast window after a Redis failure. */
    public LinkConfig withRetryIntervalMs(long retryIntervalMs) {
        return new LinkConfig(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs,
                cacheMaxEntries, ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal,
                redisDeadlineMs, redisQueueSize, security);
    }

    /** This config with another deadline for Redis calls on the route path. */
    public LinkConfig withRedisDeadlineMs(long redisDeadlineMs) {
        return new LinkConfig(redisHost, redisPort, keyPrefix, redisTtlMs, cacheTtlMs, touchIntervalMs,
                cacheMaxEntries, ownedNamespaces, connectTimeoutMs, socketTimeoutMs, retryIntervalMs, poolMaxTotal,
                redisDeadlineMs, redisQueueSize, security);
    }

    public boolean owns(String namespace) {
        return ownedNamespaces.contains(namespace);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }
}
