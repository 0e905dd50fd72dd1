package io.kvrelay.router.links;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Lua scripts behind every link write. A script runs atomically in Redis, so a link and its user's service index
 * always change together, and a conditional write can answer with what it found in the same round trip.
 *
 * <p>Shared arguments: {@code KEYS[1]} is the link key and {@code KEYS[2]} the user's service index, unless noted.
 * The index's TTL is raised to at least the link TTL on every write or touch, so it outlives every link it names.
 * The services and delete scripts build link keys from the index members, which standalone Redis allows (a Redis
 * Cluster would need the user's keys in one hash slot).
 */
final class LinkScripts {
    /** A script with its SHA-1, computed here exactly as Redis does, so EVALSHA needs no prior round trip. */
    record Script(String name, String text, String sha) {
        static Script of(String name, String body) {
            String text = INDEX_FUNCTION + body;
            return new Script(name, text, sha1(text));
        }
    }

    /** index(KEYS[2], service, ttlMs): remember the service and keep the index alive as long as the link. */
    private static final String INDEX_FUNCTION = """
            local function index(idx, service, ttl)
              redis.call('SADD', idx, service)
              if redis.call('PTTL', idx) < ttl then redis.call('PEXPIRE', idx, ttl) end
            end
            """;

    /** ARGV: pod, ttlMs, service. Returns {1, pod} when created, else {0, the existing pod}. */
    static final Script SET_IF_ABSENT = Script.of("setIfAbsent", """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              index(KEYS[2], ARGV[3], tonumber(ARGV[2]))
              return {1, ARGV[1]}
            end
            return {0, redis.call('GET', KEYS[1])}
            """);

    /** ARGV: expected pod, new pod, ttlMs, service. Returns {1, new pod} or {0, current pod or nil}. */
    static final Script COMPARE_AND_SET = Script.of("compareAndSet", """
            local cur = redis.call('GET', KEYS[1])
            if cur ~= ARGV[1] then return {0, cur} end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            index(KEYS[2], ARGV[4], tonumber(ARGV[3]))
            return {1, ARGV[2]}
            """);

    /** ARGV: ttlMs, service. Returns the pod (its TTL restarted) or nil. */
    static final Script TOUCH = Script.of("touch", """
            local cur = redis.call('GET', KEYS[1])
            if cur then
              redis.call('PEXPIRE', KEYS[1], ARGV[1])
              index(KEYS[2], ARGV[2], tonumber(ARGV[1]))
            end
            return cur
            """);

    /**
     * KEYS[1]: the index only. ARGV: link key prefix up to the service, user. Returns {service, pod, ...} for the
     * live links, and drops services whose link has expired from the index on the way.
     */
    static final Script SERVICES = Script.of("services", """
            local out = {}
            for _, svc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              local pod = redis.call('GET', ARGV[1] .. svc .. ':' .. ARGV[2])
              if pod then
                out[#out + 1] = svc
                out[#out + 1] = pod
              else
                redis.call('SREM', KEYS[1], svc)
              end
            end
            return out
            """);

    /**
     * KEYS[1]: the index, KEYS[2]: the user's deletion mark. ARGV: as for SERVICES, then the mark's ttlMs. Deletes every
     * link and the index, and marks the user deleted on purpose (so no router restores the links from its cache);
     * returns the link count.
     */
    static final Script DELETE_USER = Script.of("deleteUser", """
            local n = 0
            for _, svc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              n = n + redis.call('DEL', ARGV[1] .. svc .. ':' .. ARGV[2])
            end
            redis.call('DEL', KEYS[1])
            redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
            return n
            """);

    /**
     * KEYS[3]: the user's deletion mark. ARGV: as for SET_IF_ABSENT. A link this router still knows but Redis lost
     * (flushed, failed over without persistence, evicted): created again unless it exists ({0, its pod}) or the user's
     * links were deleted on purpose lately ({0, nil}); {1, pod} when written.
     */
    static final Script RESTORE = Script.of("restore", """
            if redis.call('EXISTS', KEYS[3]) == 1 then return {0, false} end
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              index(KEYS[2], ARGV[3], tonumber(ARGV[2]))
              return {1, ARGV[1]}
            end
            return {0, redis.call('GET', KEYS[1])}
            """);

    static final List<Script> ALL = List.of(SET_IF_ABSENT, COMPARE_AND_SET, TOUCH, SERVICES, DELETE_USER, RESTORE);

    private LinkScripts() {
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }
}
