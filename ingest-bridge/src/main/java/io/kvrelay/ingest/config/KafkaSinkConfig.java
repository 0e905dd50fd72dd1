package io.kvrelay.ingest.config;

import io.kvrelay.schemas.KafkaClients;
import java.util.Map;

/**
 * Where and how the bridge writes to Kafka.
 *
 * @param bootstrapServers  the cluster
 * @param topicPrefix       prefix of every topic name (see {@code Topics})
 * @param createTopics      create missing topics at start (default true) (partitions, replication and configs from {@code Topics})
 * @param replicationFactor replication factor for created topics
 * @param compression       producer compression: none, gzip, snappy, lz4 or zstd
 * @param lingerMs          producer linger: how long a batch may wait to fill
 * @param producer          extra producer properties, applied last (they win); the client settings among them
 *                          (security, timeouts) also apply to the consumer that recovers positions
 * @param recoverPositions  at start, read each worker's last delivered batch back from the event topic (default true);
 *                          when Kafka does not answer, the bridge does not start. false: every worker starts as new
 *                          (its first gap becomes a WorkerReset, even after a clean restart)
 * @param recovery          bounds of that recovery
 */
public record KafkaSinkConfig(String bootstrapServers, String topicPrefix, Boolean createTopics, short replicationFactor,
                              String compression, int lingerMs, Map<String, String> producer,
                              Boolean recoverPositions, RecoveryBounds recovery) {
    /** Producer settings the guarantees rest on (idempotence, acks=all, retry without expiry, byte serializers). */
    private static final java.util.List<String> GUARANTEES = java.util.List.of("enable.idempotence", "acks",
            "delivery.timeout.ms", "retries", "max.in.flight.requests.per.connection", "key.serializer",
            "value.serializer", "bootstrap.servers");
    private static final java.util.Set<String> COMPRESSIONS = java.util.Set.of("none", "gzip", "snappy", "lz4", "zstd");

    public KafkaSinkConfig {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrapServers is required (host:port[,host:port])");
        }
        if (topicPrefix == null || topicPrefix.isBlank()) {
            topicPrefix = io.kvrelay.schemas.Topics.DEFAULT_PREFIX;
        }
        createTopics = createTopics == null || createTopics;
        if (replicationFactor == 0) {
            replicationFactor = 1;
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("kafka.replicationFactor must be >= 1, got " + replicationFactor);
        }
        if (compression == null) {
            compression = "lz4";
        }
        if (!COMPRESSIONS.contains(compression)) {
            throw new IllegalArgumentException("kafka.compression must be one of " + COMPRESSIONS + ", got " + compression);
        }
        if (lingerMs < 0) {
            throw new IllegalArgumentException("kafka.lingerMs must be >= 0, got " + lingerMs);
        }
        producer = producer == null ? Map.of() : Map.copyOf(producer);
        for (String guarded : GUARANTEES) {
            if (producer.containsKey(guarded)) {
                throw new IllegalArgumentException("kafka.producer." + guarded + " cannot be overridden: the bridge's"
                        + " ordering and no-loss guarantees depend on it");
            }
        }
        recoverPositions = recoverPositions == null || recoverPositions;
        if (recovery == null) {
            recovery = RecoveryBounds.defaults();
        }
    }

    /** With position recovery on and its default bounds. */
    public KafkaSinkConfig(String bootstrapServers, String topicPrefix, Boolean createTopics, short replicationFactor,
                           String compression, int lingerMs, Map<String, String> producer) {
        this(bootstrapServers, topicPrefix, createTopics, replicationFactor, compression, lingerMs, producer, null, null);
    }

    public static KafkaSinkConfig defaults(String bootstrapServers) {
        return new KafkaSinkConfig(bootstrapServers, null, true, (short) 1, "lz4", 5, Map.of());
    }

    /** The bridge's Kafka clients: this cluster with the client settings of {@code producer}. */
    public KafkaClients clients() {
        return new KafkaClients(bootstrapServers, producer);
    }

    /** The same settings against another cluster (the {@code --bootstrap-servers} override keeps everything else). */
    public KafkaSinkConfig withBootstrapServers(String servers) {
        return new KafkaSinkConfig(servers, topicPrefix, createTopics, replicationFactor, compression, lingerMs, producer,
                recoverPositions, recovery);
    }

    public KafkaSinkConfig withRecovery(boolean recover, RecoveryBounds bounds) {
        return new KafkaSinkConfig(bootstrapServers, topicPrefix, createTopics, replicationFactor, compression,
                lingerMs, producer, recover, bounds);
    }

    /**
     * How far and how long the start-up recovery reads back ({@code kafka.recovery}); 0 or absent takes the default.
     *
     * @param timeoutMs              how long Kafka may stay silent (metadata, offsets, a read that brings nothing)
     *                               before the bridge refuses to start
     * @param maxScanMs              the time the backward scan may take; when spent, the workers not met yet are
     *                               reported unresolved and start as new
     * @param maxRecordsPerPartition how far back from a partition's end to look; a worker not met within it is
     *                               reported unresolved and starts as new
     * @param chunkRecords           records read by the first step back from a partition's end; each further step
     *                               doubles, up to 16 times this
     */
    public record RecoveryBounds(long timeoutMs, long maxScanMs, long maxRecordsPerPartition, int chunkRecords) {
        public static final long DEFAULT_TIMEOUT_MS = 30_000;
        public static final long DEFAULT_MAX_SCAN_MS = 30_000;
        public static final long DEFAULT_MAX_RECORDS_PER_PARTITION = 1_000_000;
        public static final int DEFAULT_CHUNK_RECORDS = 2_000;

        public RecoveryBounds {
            timeoutMs = timeoutMs == 0 ? DEFAULT_TIMEOUT_MS : timeoutMs;
            maxScanMs = maxScanMs == 0 ? DEFAULT_MAX_SCAN_MS : maxScanMs;
            maxRecordsPerPartition = maxRecordsPerPartition == 0 ? DEFAULT_MAX_RECORDS_PER_PARTITION : maxRecordsPerPartition;
            chunkRecords = chunkRecords == 0 ? DEFAULT_CHUNK_RECORDS : chunkRecords;
            requirePositive("timeoutMs", timeoutMs);
            requirePositive("maxScanMs", maxScanMs);
            requirePositive("maxRecordsPerPartition", maxRecordsPerPartition);
            if (chunkRecords < 0 || chunkRecords > 100_000) {
                throw new IllegalArgumentException("kafka.recovery.chunkRecords must be 1..100000, got " + chunkRecords);
            }
        }

        private static void requirePositive(String key, long value) {
            if (value < 0) {
                throw new IllegalArgumentException("kafka.recovery." + key + " must be > 0, got " + value);
            }
        }

        public static RecoveryBounds defaults() {
            return new RecoveryBounds(0, 0, 0, 0);
        }
    }

    public io.kvrelay.schemas.Topics topics() {
        return io.kvrelay.schemas.Topics.withPrefix(topicPrefix, replicationFactor);
    }
}
