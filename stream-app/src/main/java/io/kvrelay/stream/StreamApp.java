package io.kvrelay.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.MetricsRegistries;
import io.kvrelay.schemas.PodCommandWriter;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.Topics;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.http.QueryHttpServer;
import io.kvrelay.stream.metrics.RestoreCounter;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.query.ClusterQueries;
import io.kvrelay.stream.query.LocalQueries;
import io.kvrelay.stream.query.RemoteQueryClient;
import io.kvrelay.stream.rpc.PrefixIndexServer;
import io.kvrelay.stream.store.FlushOftenRocksDb;
import io.kvrelay.stream.store.IndexShards;
import io.kvrelay.stream.store.PrefixIndexStore;
import io.kvrelay.stream.store.StoreNames;
import io.kvrelay.stream.topology.IndexTopology;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running stream-app instance: the query HTTP server (started first, so its port is known for
 * {@code application.server}), Kafka Streams with {@link IndexTopology}, and the queries between them.
 */
public final class StreamApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamApp.class);

    private final StreamAppConfig config;
    private final Topics topics;
    private final PrometheusMeterRegistry registry = MetricsRegistries.prometheus();
    private final StreamMetrics metrics = new StreamMetrics(registry);
    private final QueryHttpServer http;
    private final PrefixIndexServer index;
    private final PodCommandWriter commands;
    private final KafkaStreams streams;
    private final ClusterQueries queries;
    private final KafkaStreamsMetrics streamsMetrics;

    public StreamApp(StreamAppConfig config) throws IOException {
        this(config, Clock.systemUTC());
    }

    /** @param persistentStores RocksDB stores even where {@code config.persistentState()} is false */
    public StreamApp(StreamAppConfig config, Clock clock, boolean persistentStores) throws IOException {
        this(persistentStores ? config.withRestart(config.groupInstanceId(), config.sessionTimeoutMs(), true)
                : config, clock);
    }

    public StreamApp(StreamAppConfig config, Clock clock) throws IOException {
        this.config = config;
        this.topics = Topics.withPrefix(config.topicPrefix(), config.replicationFactor());
        ObjectMapper json = new ObjectMapper();
        this.commands = new PodCommandWriter(config.kafkaClients(), topics.podStatus().name());
        final ClusterQueries[] ref = new ClusterQueries[1];
        try {
            this.http = new QueryHttpServer(config.httpHost(), config.httpPort(), HttpLimits.defaults(), json,
                    () -> ref[0], this::unhealthy, registry, commands, config.adminToken());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while binding the query port");
        }
        try {
            this.index = new PrefixIndexServer(config.httpHost(), config.indexPort(), () -> ref[0]);
        } catch (InterruptedException e) {
            http.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while binding the index port");
        }
        HostInfo self = new HostInfo(config.advertisedHost(), http.port());
        this.streams = new KafkaStreams(IndexTopology.build(topics, metrics, config.persistentState()),
                streamsProperties(config, self));
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .REPLACE_THREAD;
        });
        streams.setGlobalStateRestoreListener(new RestoreCounter(metrics.restoredRecords));
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        LocalQueries local = new LocalQueries(
                () -> streams.store(StoreQueryParameters.fromNameAndType(StoreNames.PREFIX_INDEX, IndexShards.TYPE)),
                () -> streams.store(StoreQueryParameters.fromNameAndType(StoreNames.POD_STATE,
                        QueryableStoreTypes.<String, byte[]>keyValueStore())),
                clock, config.liveness());
        streams.setStateListener((now, before) -> local.assignmentChanged());
        this.queries = new ClusterQueries(streams, local,
                new RemoteQueryClient(json, Duration.ofMillis(config.remoteTimeoutMs())), self,
                topics.kvEvents().name(), index.port(), registry);
        ref[0] = queries;
        // Index entries per shard, as Kafka Streams meters a store: one gauge per partition of the event topic,
        // NaN where another instance holds the shard (or while this one restores it).
        for (int p = 0; p < topics.kvEvents().partitions(); p++) {
            int partition = p;
            io.micrometer.core.instrument.Gauge.builder("kvrelay.stream.index.entries", () -> shardEntries(partition))
                    .description("(block, worker) entries in the prefix index's shard of this partition; NaN where "
                            + "this instance does not hold it").tag("partition", String.valueOf(p)).register(registry);
        }
    }

    private double shardEntries(int partition) {
        try {
            for (PrefixIndexStore shard : streams.store(StoreQueryParameters.fromNameAndType(StoreNames.PREFIX_INDEX,
                    IndexShards.TYPE)).shards()) {
                if (shard.partition() == partition) {
                    return shard.index().entryCount();
                }
            }
        } catch (RuntimeException e) {
            // stores restoring or migrating: nothing to say
        }
        return Double.NaN;
    }

    static Properties streamsProperties(StreamAppConfig c, HostInfo self) {
        Map<String, Object> defaults = new java.util.HashMap<>();
        defaults.put(StreamsConfig.APPLICATION_ID_CONFIG, c.applicationId());
        defaults.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        defaults.put(StreamsConfig.STATE_DIR_CONFIG, c.stateDir().toString());
        defaults.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, c.streamThreads());
        defaults.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, c.commitIntervalMs());
        defaults.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, c.standbyReplicas());
        defaults.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        defaults.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                (int) c.sessionTimeoutMs());
        if (c.persistentState()) {
            defaults.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, FlushOftenRocksDb.class.getName());
        }
        if (c.groupInstanceId() != null) {
            // Static membership (Kafka Streams names each thread's member <id>-<n>): a restart within the session
            // timeout gets its partitions back without a rebalance, and without waiting for the old member to expire.
            defaults.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                    c.groupInstanceId());
        }
        // An event log is read from its start: a new application must see every block still cached.
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Freshness: hand records over as soon as the broker has them.
        defaults.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 10);
        return c.kafkaClients().streamsProperties(defaults);
    }

    public StreamApp start() {
        // Kafka Streams stops at once when a source topic is missing: make sure they exist (no-op when they do).
        TopicCreator.ensure(config.kafkaClients(), topics.all());
        streams.start();
        log.info("stream-app {} started: topics {} + {}, queries at http://{}:{}", config.applicationId(),
                topics.kvEvents().name(), topics.podStatus().name(), config.advertisedHost(), http.port());
        return this;
    }

    /** null when this instance runs and every local index is rebuilt, else why not. */
    private String unhealthy() {
        KafkaStreams.State s = streams.state();
        if (s != KafkaStreams.State.RUNNING) {
            return "Kafka Streams is " + s;
        }
        try {
            for (PrefixIndexStore shard : streams.store(StoreQueryParameters.fromNameAndType(StoreNames.PREFIX_INDEX,
                    IndexShards.TYPE)).shards()) {
                if (!shard.ready()) {
                    return "prefix index of partition " + shard.partition() + " is being rebuilt";
                }
            }
        } catch (RuntimeException e) {
            return "stores unavailable: " + e.getMessage();
        }
        return null;
    }

    /** (block, worker) entries in this instance's prefix indexes; -1 while its stores are unavailable. */
    public long indexEntries() {
        try {
            long n = 0;
            for (PrefixIndexStore shard : streams.store(StoreQueryParameters.fromNameAndType(StoreNames.PREFIX_INDEX,
                    IndexShards.TYPE)).shards()) {
                n += shard.index().entryCount();
            }
            return n;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    public boolean healthy() {
        return unhealthy() == null;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public ClusterQueries queries() {
        return queries;
    }

    public StreamMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.port();
    }

    /** The binary prefix-match API's port. */
    public int indexPort() {
        return index.port();
    }

    @Override
    public void close() {
        log.info("stream-app stopping");
        // Stop answering first: other instances then see this one as gone (503) instead of reading half-closed stores.
        http.close();
        index.close();
        // Leave the group, so the others take these partitions over now rather than after the session timeout; a
        // static member too (removed through the admin API): a graceful stop is a scale-down or a move, while a crash
        // never gets here and its restart resumes as the same member.
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        streamsMetrics.close();
        commands.close();
        log.info("stream-app stopped");
    }
}
