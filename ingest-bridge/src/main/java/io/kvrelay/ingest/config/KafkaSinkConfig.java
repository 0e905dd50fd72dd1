package io.kvrelay.ingest.config;

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
 * @param producer          extra producer properties, applied last (they win)
 */
public record KafkaSinkConfig(String bootstrapServers, String topicPrefix, Boolean createTopics, short replicationFactor,
                              String compression, int lingerMs, Map<String, String> producer) {
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
    }

    public static KafkaSinkConfig defaults(String bootstrapServers) {
        return new KafkaSinkConfig(bootstrapServers, null, true, (short) 1, "lz4", 5, Map.of());
    }

    public io.kvrelay.schemas.Topics topics() {
        return io.kvrelay.schemas.Topics.withPrefix(topicPrefix, replicationFactor);
    }
}
