package io.kvrelay.testkit;

import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producers that tests and harnesses use to write their own input records (bytes in, bytes out). */
public final class TestProducers {
    private TestProducers() {
    }

    /**
     * For seeding test data into topics created a moment before. Not idempotent on purpose: Kafka 4.3.1's idempotent
     * producer can retry OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery timeout when its first request reaches a
     * partition the broker has not finished creating (KAFKA-15591; seen here as 2-minute stalls). kvrelay's own
     * producers are protected by {@code TopicCreator} waiting until every partition's leader answers instead.
     */
    public static KafkaProducer<byte[], byte[]> seeding(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // Without idempotence a retried batch can land after the next one: seeded timelines (ReplayIT's windows by
        // timestamp) must stay in the order they were sent.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return new KafkaProducer<>(p);
    }
}
