package io.kvrelay.router.links;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Links in Redis, through Jedis' pooled, thread-safe {@link RedisClient}.
 *
 * <p>Key layout ({@code P} = {@code links.keyPrefix}, default {@code kvrelay:link:}):
 * <pre>
 * P pod:{namespace}:{service}:{user}   STRING  the linked pod's name          PX links.redisTtlMs
 * P svc:{namespace}:{user}             SET     services the user is linked in PTTL &gt;= every link of the user
 * </pre>
 * One key per link, because a link's TTL is its own: hash fields only expire individually from Redis 7.4 (HEXPIRE),
 * and the servers we run on are 6.2 and 7.0. Every operation on one link is a single key, so O(1) and atomic;
 * {@code SET NX PX} and compare-and-set run as Lua scripts ({@link LinkScripts}) that also keep the per-user service
 * index in step, so "all services of a user" is one SMEMBERS plus one GET per service, with no SCAN of the keyspace.
 * Namespace and service cannot contain ':' and the user id comes last, so a key always parses back unambiguously.
 * Many users of one service are read with MGET, pipelined in chunks.
 *
 * <p>Failures: every Jedis failure becomes a {@link LinksUnavailableException}. After a connection failure (refused,
 * reset, timed out) the pool's idle connections are dropped (they point at a server that went away) and, for
 * {@code links.retryIntervalMs}, calls fail at once instead of each waiting for a timeout; then one call probes
 * again, and the first success ends the outage. Scripts are loaded with SCRIPT LOAD and called by SHA; a restarted
 * server answers NOSCRIPT, and the script is loaded again.
 */
public final class RedisLinkStore implements LinkStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisLinkStore.class);
    /** Keys per MGET: bounds one reply's size while keeping round trips few. */
    private static final int MGET_CHUNK = 500;
    private static final long HEALTHY = Long.MIN_VALUE;

    private final RedisClient redis;
    private final String where;
    private final String prefix;
    private final String ttlMs;
    private final long retryNanos;
    /** System.nanoTime() until which calls fail fast; HEALTHY when Redis answered last. */
    private final AtomicLong failFastUntil = new AtomicLong(HEALTHY);
    private volatile String lastFailure = "";

    RedisLinkStore(RedisClient redis, LinkConfig config) {
        this.redis = redis;
        this.where = config.redisHost() + ":" + config.redisPort();
        this.prefix = config.keyPrefix();
        this.ttlMs = Long.toString(config.redisTtlMs());
        this.retryNanos = Duration.ofMillis(config.retryIntervalMs()).toNanos();
    }

    /** A store on the configured Redis. Never fails because Redis is down: it connects on first use. */
    public static RedisLinkStore connect(LinkConfig config) {
        RedisSecurity security = config.security();
        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(config.connectTimeoutMs())
                .socketTimeoutMillis(config.socketTimeoutMs())
                .clientName("kvrelay-router")
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED) // CLIENT SETINFO needs 7.2; skip the round trip
                .user(security.user())
                .password(security.password(System::getenv).orElse(null))
                .ssl(security.tls());
        if (security.tls()) {
            security.socketFactory().ifPresent(client::sslSocketFactory);
            // The server's certificate must name the host connected to, as HTTPS checks it.
            SSLParameters verifyHost = new SSLParameters();
            verifyHost.setEndpointIdentificationAlgorithm("HTTPS");
            client.sslParameters(verifyHost);
        }
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(config.poolMaxTotal());
        pool.setMaxIdle(config.poolMaxTotal());
        pool.setMinIdle(0);
        pool.setMaxWait(Duration.ofMillis(config.socketTimeoutMs())); // an exhausted pool must not stall a request
        pool.setJmxEnabled(false);
        RedisClient redis = RedisClient.builder().hostAndPort(config.redisHost(), config.redisPort())
                .clientConfig(client.build()).poolConfig(pool).build();
        RedisLinkStore store = new RedisLinkStore(redis, config);
        store.preloadScripts();
        return store;
    }

    @Override
    public Optional<String> get(LinkKey key) {
        return Optional.ofNullable(call("GET", () -> redis.get(linkKey(key))));
    }

    @Override
    public Optional<String> touch(LinkKey key) {
        Object pod = call("touch", () -> eval(LinkScripts.TOUCH, List.of(linkKey(key), indexKey(key)),
                List.of(ttlMs, key.service())));
        return Optional.ofNullable(text(pod));
    }

    @Override
    public LinkWrite setIfAbsent(LinkKey key, String pod) {
        LinkKey.requirePod(pod);
        return write(call("set-if-absent", () -> eval(LinkScripts.SET_IF_ABSENT,
                List.of(linkKey(key), indexKey(key)), List.of(pod, ttlMs, key.service()))));
    }

    @Override
    public LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod) {
        LinkKey.requirePod(expectedPod);
        LinkKey.requirePod(newPod);
        return write(call("compare-and-set", () -> eval(LinkScripts.COMPARE_AND_SET,
                List.of(linkKey(key), indexKey(key)), List.of(expectedPod, newPod, ttlMs, key.service()))));
    }

    @Override
    public LinkWrite restore(LinkKey key, String pod) {
        LinkKey.requirePod(pod);
        return write(call("restore", () -> eval(LinkScripts.RESTORE,
                List.of(linkKey(key), indexKey(key), deletedKey(key.namespace(), key.user())),
                List.of(pod, ttlMs, key.service()))));
    }

    @Override
    public int delete(String namespace, String user) {
        LinkKey.requireName("namespace", namespace);
        LinkKey.requireUser(user);
        Object n = call("delete", () -> eval(LinkScripts.DELETE_USER,
                List.of(indexKey(namespace, user), deletedKey(namespace, user)),
                List.of(linkKeyPrefix(namespace), user, ttlMs)));
        return ((Long) n).intValue();
    }

    @Override
    public Map<String, String> servicesOf(String namespace, String user) {
        LinkKey.requireName("namespace", namespace);
        LinkKey.requireUser(user);
        Object reply = call("services", () -> eval(LinkScripts.SERVICES, List.of(indexKey(namespace, user)),
                List.of(linkKeyPrefix(namespace), user)));
        List<?> flat = (List<?>) reply;
        Map<String, String> services = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            services.put(text(flat.get(i)), text(flat.get(i + 1)));
        }
        return services;
    }

    @Override
    public Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(users));
        List<String> keys = new ArrayList<>(distinct.size());
        for (String user : distinct) {
            keys.add(linkKey(new LinkKey(namespace, user, service)));
        }
        Map<String, List<String>> byPod = new TreeMap<>();
        if (keys.isEmpty()) {
            return byPod;
        }
        List<String> pods = call("MGET", () -> mget(keys));
        for (int i = 0; i < distinct.size(); i++) {
            if (pods.get(i) != null) {
                byPod.computeIfAbsent(pods.get(i), p -> new ArrayList<>()).add(distinct.get(i));
            }
        }
        return byPod;
    }

    @Override
    public void close() {
        redis.close();
    }

    /** Exposed for tests and operators: the key a link is stored under. */
    String linkKey(LinkKey key) {
        return linkKeyPrefix(key.namespace()) + key.service() + ':' + key.user();
    }

    String indexKey(String namespace, String user) {
        return prefix + "svc:" + namespace + ':' + user;
    }

    /** Set for a link TTL when the user's links are deleted on purpose: routers must not restore them. */
    private String deletedKey(String namespace, String user) {
        return prefix + "deleted:" + namespace + ':' + user;
    }

    private String indexKey(LinkKey key) {
        return indexKey(key.namespace(), key.user());
    }

    private String linkKeyPrefix(String namespace) {
        return prefix + "pod:" + namespace + ':';
    }

    private List<String> mget(List<String> keys) {
        if (keys.size() <= MGET_CHUNK) {
            return redis.mget(keys.toArray(String[]::new));
        }
        List<Response<List<String>>> chunks = new ArrayList<>();
        try (Pipeline pipeline = redis.pipelined()) {
            for (int from = 0; from < keys.size(); from += MGET_CHUNK) {
                List<String> chunk = keys.subList(from, Math.min(keys.size(), from + MGET_CHUNK));
                chunks.add(pipeline.mget(chunk.toArray(String[]::new)));
            }
            pipeline.sync();
        }
        List<String> all = new ArrayList<>(keys.size());
        chunks.forEach(r -> all.addAll(r.get()));
        return all;
    }

    private Object eval(LinkScripts.Script script, List<String> keys, List<String> args) {
        try {
            return redis.evalsha(script.sha(), keys, args);
        } catch (JedisNoScriptException e) {
            // the server restarted or ran SCRIPT FLUSH since we loaded it
            redis.scriptLoad(script.text());
            return redis.evalsha(script.sha(), keys, args);
        }
    }

    private void preloadScripts() {
        try {
            call("SCRIPT LOAD", () -> {
                for (LinkScripts.Script s : LinkScripts.ALL) {
                    String sha = redis.scriptLoad(s.text());
                    if (!sha.equals(s.sha())) {
                        throw new IllegalStateException("Redis hashed script " + s.name() + " to " + sha
                                + ", expected " + s.sha());
                    }
                }
                return null;
            });
        } catch (LinksUnavailableException e) {
            log.warn("Redis at {} is not answering yet ({}); links are unavailable until it does", where,
                    e.getMessage());
        }
    }

    /** Runs one Redis call, failing fast while Redis is known to be down; see the class comment. */
    private <T> T call(String what, Supplier<T> op) {
        long until = failFastUntil.get();
        if (until != HEALTHY) {
            long now = System.nanoTime();
            // Only one caller per retry interval gets through to probe; the others fail at once.
            if (now - until < 0 || !failFastUntil.compareAndSet(until, now + retryNanos)) {
                throw new LinksUnavailableException("Redis at " + where + " is unreachable (" + lastFailure
                        + "); next attempt within " + Duration.ofNanos(retryNanos).toMillis() + " ms", null);
            }
        }
        try {
            T result = op.get();
            if (until != HEALTHY) {
                failFastUntil.set(HEALTHY);
                log.info("Redis at {} answers again", where);
            }
            return result;
        } catch (JedisConnectionException e) {
            lastFailure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (failFastUntil.getAndSet(System.nanoTime() + retryNanos) == HEALTHY) {
                log.warn("Redis at {} failed: {}; links degrade until it answers", where, e.toString());
            }
            redis.getPool().clear();
            throw new LinksUnavailableException("Redis at " + where + " failed on " + what + ": " + lastFailure, e);
        } catch (JedisException e) {
            throw new LinksUnavailableException("Redis at " + where + " refused " + what + ": " + e.getMessage(), e);
        }
    }

    private static LinkWrite write(Object reply) {
        List<?> pair = (List<?>) reply;
        return new LinkWrite(text(pair.get(1)), ((Long) pair.get(0)) == 1L);
    }

    /** Script replies arrive as String or byte[] depending on the protocol; nil stays null. */
    private static String text(Object value) {
        if (value instanceof byte[] bytes) {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
        return (String) value;
    }
}
