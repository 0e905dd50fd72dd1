package io.kvrelay.stream.config;

import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.stream.query.PodLiveness;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Everything stream-app needs, validated at construction. A number left at 0 (or absent from the file) takes its
 * default; see {@code docs/configuration.md}.
 *
 * @param applicationId      Kafka Streams application id: instances with the same id share the partitions
 * @param bootstrapServers   the Kafka cluster
 * @param topicPrefix        prefix of every topic name ({@code Topics})
 * @param stateDir           where the stores keep local state (RocksDB files, checkpoints)
 * @param httpHost           interface the query HTTP server binds
 * @param httpPort           its port (0 = any free port)
 * @param advertisedHost     host other instances and routers use to reach this one ({@code application.server});
 *                           defaults to httpHost, or localhost when httpHost is a wildcard
 * @param heartbeatTtlMs     a pod whose last bridge status is older than this is not alive, unless it is stale
 * @param streamThreads      Kafka Streams threads
 * @param commitIntervalMs   Kafka Streams commit interval (also how often event-derived pod fields are saved)
 * @param standbyReplicas    warm copies of each store on other instances, for faster fail-over
 * @param remoteTimeoutMs    deadline for a query fanned out to the other instances
 * @param adminToken         bearer token for drain/undrain; empty = those endpoints are refused
 * @param replicationFactor  replication of the topics stream-app creates when they are missing (default 1)
 * @param streams            extra Kafka Streams properties, applied last
 * @param staleMaxMs         a pod whose whole bridge went silent keeps routing on its last state for at most this long
 *                           after its last status (default 180000)
 * @param suspectAfterMs     a pod whose load has been unknown (metrics not answering) longer than this is suspect
 *                           (default 10000)
 * @param unroutableAfterMs  ... and longer than this, not routable (default 60000)
 * @param indexPort           port of the binary prefix-match API routers use (gRPC, on {@code httpHost}; 0 = any free
 *                           port: routers learn it from {@code /v1/instances})
 * @param groupInstanceId    static group membership: this instance's stable name in the consumer group (Kafka's
 *                           {@code group.instance.id}, per stream thread {@code <id>-<n>}), so a restarted instance
 *                           takes its partitions back without a rebalance; null or blank = dynamic membership. Needs
 *                           a fixed {@code httpPort}: the assignment it takes back names its old
 *                           {@code application.server}
 * @param sessionTimeoutMs   how long the group waits for an instance that stopped heartbeating before it gives its
 *                           partitions to the others (default 30000)
 * @param persistentState    RocksDB stores in {@code stateDir} instead of in-memory ones: a restart with the same
 *                           state directory reads only what its checkpoint has not seen from the changelogs
 * @see PodLiveness
 */
public record StreamAppConfig(String applicationId, String bootstrapServers, String topicPrefix, Path stateDir,
                              String httpHost, int httpPort, String advertisedHost, long heartbeatTtlMs,
                              int streamThreads, long commitIntervalMs, int standbyReplicas, long remoteTimeoutMs,
                              String adminToken, short replicationFactor, Map<String, String> streams,
                              long staleMaxMs, long suspectAfterMs, long unroutableAfterMs, int indexPort,
                              String groupInstanceId, long sessionTimeoutMs, boolean persistentState) {
    private static final Set<String> GUARDED = Set.of("application.id", "bootstrap.servers", "application.server",
            "state.dir", "processing.guarantee", "group.instance.id", "session.timeout.ms");
    /** Kafka's own rule for a group.instance.id (and topic names). */
    private static final java.util.regex.Pattern INSTANCE_ID = java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    public StreamAppConfig {
        applicationId = blankTo(applicationId, "kvrelay-stream");
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers is required (host:port[,host:port])");
        }
        topicPrefix = blankTo(topicPrefix, io.kvrelay.schemas.Topics.DEFAULT_PREFIX);
        if (stateDir == null) {
            stateDir = Path.of(System.getProperty("java.io.tmpdir"), "kvrelay-stream", applicationId);
        }
        httpHost = blankTo(httpHost, "127.0.0.1");
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be 0..65535, got " + httpPort);
        }
        if (indexPort < 0 || indexPort > 65535) {
            throw new IllegalArgumentException("indexPort must be 0..65535, got " + indexPort);
        }
        if (advertisedHost == null || advertisedHost.isBlank()) {
            advertisedHost = httpHost.equals("0.0.0.0") || httpHost.equals("::") ? "localhost" : httpHost;
        }
        heartbeatTtlMs = heartbeatTtlMs == 0 ? 15_000 : heartbeatTtlMs;
        streamThreads = streamThreads == 0 ? 1 : streamThreads;
        commitIntervalMs = commitIntervalMs == 0 ? 100 : commitIntervalMs;
        remoteTimeoutMs = remoteTimeoutMs == 0 ? 500 : remoteTimeoutMs;
        // A few minutes: a pipeline out for longer is not a hiccup, and the last state is too old to route on.
        staleMaxMs = staleMaxMs == 0 ? Math.max(180_000, 2 * heartbeatTtlMs) : staleMaxMs;
        suspectAfterMs = suspectAfterMs == 0 ? 10_000 : suspectAfterMs;
        unroutableAfterMs = unroutableAfterMs == 0 ? Math.max(60_000, suspectAfterMs) : unroutableAfterMs;
        requirePositive("heartbeatTtlMs", heartbeatTtlMs);
        requirePositive("streamThreads", streamThreads);
        requirePositive("commitIntervalMs", commitIntervalMs);
        requirePositive("remoteTimeoutMs", remoteTimeoutMs);
        new PodLiveness(heartbeatTtlMs, staleMaxMs, suspectAfterMs, unroutableAfterMs); // validates how they relate
        if (standbyReplicas < 0) {
            throw new IllegalArgumentException("standbyReplicas must be >= 0, got " + standbyReplicas);
        }
        adminToken = adminToken == null ? "" : adminToken;
        replicationFactor = replicationFactor == 0 ? 1 : replicationFactor;
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be >= 1, got " + replicationFactor);
        }
        streams = streams == null ? Map.of() : Map.copyOf(streams);
        for (String key : streams.keySet()) {
            if (GUARDED.contains(key)) {
                throw new IllegalArgumentException("streams." + key + " cannot be overridden here: use the setting of"
                        + " its own (applicationId, bootstrapServers, advertisedHost, stateDir, groupInstanceId, "
                        + "sessionTimeoutMs)");
            }
        }
        groupInstanceId = groupInstanceId == null || groupInstanceId.isBlank() ? null : groupInstanceId.strip();
        if (groupInstanceId != null) {
            if (!INSTANCE_ID.matcher(groupInstanceId).matches()) {
                throw new IllegalArgumentException("groupInstanceId must be 1-200 of a-z A-Z 0-9 . _ -, got '"
                        + groupInstanceId + "'");
            }
            if (httpPort == 0) {
                // The member takes back its old assignment as it was, with the application.server it had then.
                throw new IllegalArgumentException("groupInstanceId needs a fixed httpPort (not 0): a restarted static "
                        + "member keeps the address it had, and the others would look for it there");
            }
        }
        // 30 s: a restart (kill, start, restore) fits twice over, and a member that never returns is replaced
        // sooner than with Kafka's 45 s; 10 heartbeats (3 s apart) so a GC pause or a broker fail-over is no eviction.
        sessionTimeoutMs = sessionTimeoutMs == 0 ? 30_000 : sessionTimeoutMs;
        if (sessionTimeoutMs < 6_000 || sessionTimeoutMs > 1_800_000) {
            throw new IllegalArgumentException("sessionTimeoutMs must be 6000..1800000 (the brokers' default "
                    + "group.min/max.session.timeout.ms), got " + sessionTimeoutMs);
        }
    }

    /** Defaults for one local instance against the given cluster. */
    public static StreamAppConfig local(String bootstrapServers, Path stateDir) {
        return new StreamAppConfig(null, bootstrapServers, null, stateDir, null, 0, null, 0, 0, 0, 0, 0, null,
                (short) 0, null, 0, 0, 0, 0, null, 0, false);
    }

    /** Without the restart settings: dynamic membership, the default session timeout, in-memory stores. */
    public StreamAppConfig(String applicationId, String bootstrapServers, String topicPrefix, Path stateDir,
                           String httpHost, int httpPort, String advertisedHost, long heartbeatTtlMs,
                           int streamThreads, long commitIntervalMs, int standbyReplicas, long remoteTimeoutMs,
                           String adminToken, short replicationFactor, Map<String, String> streams,
                           long staleMaxMs, long suspectAfterMs, long unroutableAfterMs, int indexPort) {
        this(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort, advertisedHost,
                heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs, adminToken,
                replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort, null, 0, false);
    }

    /** Without {@code indexPort}: any free port. */
    public StreamAppConfig(String applicationId, String bootstrapServers, String topicPrefix, Path stateDir,
                           String httpHost, int httpPort, String advertisedHost, long heartbeatTtlMs,
                           int streamThreads, long commitIntervalMs, int standbyReplicas, long remoteTimeoutMs,
                           String adminToken, short replicationFactor, Map<String, String> streams,
                           long staleMaxMs, long suspectAfterMs, long unroutableAfterMs) {
        this(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort, advertisedHost,
                heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs, adminToken,
                replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, 0);
    }

    public StreamAppConfig withHttpPort(int port) {
        return new StreamAppConfig(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, port,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    public StreamAppConfig withApplicationId(String id) {
        return new StreamAppConfig(id, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    public StreamAppConfig withTopicPrefix(String prefix) {
        return new StreamAppConfig(applicationId, bootstrapServers, prefix, stateDir, httpHost, httpPort,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    public StreamAppConfig withAdminToken(String token) {
        return new StreamAppConfig(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                token, replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    /** The same settings with these Kafka client and Streams settings (e.g. a secured cluster's). */
    public StreamAppConfig withStreams(Map<String, String> settings) {
        return new StreamAppConfig(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, settings, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    /** The same settings with another heartbeat TTL; {@code staleMaxMs} goes back to its default for it. */
    public StreamAppConfig withHeartbeatTtlMs(long ttl) {
        return withLiveness(ttl, 0, suspectAfterMs, unroutableAfterMs);
    }

    /** The same settings with the pod-liveness ones replaced (0 = default). */
    public StreamAppConfig withLiveness(long ttl, long staleMax, long suspectAfter, long unroutableAfter) {
        return new StreamAppConfig(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort,
                advertisedHost, ttl, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, streams, staleMax, suspectAfter, unroutableAfter, indexPort,
                groupInstanceId, sessionTimeoutMs, persistentState);
    }

    /**
     * The same settings with the restart ones replaced: static membership under {@code instanceId} (null = dynamic),
     * {@code sessionTimeout} ms (0 = default), persistent stores or not.
     */
    public StreamAppConfig withRestart(String instanceId, long sessionTimeout, boolean persistent) {
        return new StreamAppConfig(applicationId, bootstrapServers, topicPrefix, stateDir, httpHost, httpPort,
                advertisedHost, heartbeatTtlMs, streamThreads, commitIntervalMs, standbyReplicas, remoteTimeoutMs,
                adminToken, replicationFactor, streams, staleMaxMs, suspectAfterMs, unroutableAfterMs, indexPort,
                instanceId, sessionTimeout, persistent);
    }

    /** stream-app's Kafka clients: this cluster with the client settings of {@code streams}. */
    public KafkaClients kafkaClients() {
        return new KafkaClients(bootstrapServers, streams);
    }

    public PodLiveness liveness() {
        return new PodLiveness(heartbeatTtlMs, staleMaxMs, suspectAfterMs, unroutableAfterMs);
    }

    private static String blankTo(String v, String dflt) {
        return v == null || v.isBlank() ? dflt : v;
    }

    private static void requirePositive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }
}
