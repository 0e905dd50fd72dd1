package io.kvrelay.schemas.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.Topics;
import io.kvrelay.testkit.KafkaBroker;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KAFKA-15591 on a real broker: an idempotent producer (5 requests in flight, as the bridge's) writing to every
 * partition the moment {@link TopicCreator#ensure} returns must get every record into the log. When ensure only waited
 * for a leader in the metadata, a fresh-clone CI run lost a pod's first ten batches this way: the first request hit the
 * broker before its replica manager led the partition, the second was appended, the first was then refused as out of
 * order forever.
 */
class TopicCreatorIT {
    private static final int ROUNDS = 5;
    private static final int RECORDS_PER_PARTITION = 100;

    private static KafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = KafkaBroker.shared();
    }

    @AfterAll
    static void noop() {
        // the shared broker outlives this class
    }

    @Test
    void shouldLeaveEveryPartitionWritableByAnIdempotentProducer() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            Topics topics = Topics.withPrefix("it-creator-" + round + "-" + System.nanoTime(), (short) 1);
            TopicCreator.ensure(KafkaClients.of(broker.bootstrapServers()), topics.all());

            Map<TopicPartition, Integer> expected = new HashMap<>();
            Set<String> failures = ConcurrentHashMap.newKeySet();
            try (KafkaProducer<byte[], byte[]> producer = idempotentProducer()) {
                for (int i = 0; i < RECORDS_PER_PARTITION; i++) {
                    for (var spec : topics.all()) {
                        for (int p = 0; p < spec.partitions(); p++) {
                            expected.merge(new TopicPartition(spec.name(), p), 1, Integer::sum);
                            producer.send(new ProducerRecord<>(spec.name(), p, new byte[] {(byte) p}, new byte[] {(byte) i}),
                                    (md, e) -> {
                                        if (e != null) {
                                            failures.add(e.toString());
                                        }
                                    });
                        }
                    }
                }
                producer.flush();
            }
            assertThat(failures).as("round %d: send failures", round).isEmpty();
            assertThat(endOffsets(expected.keySet())).as("round %d: records in the log", round)
                    .isEqualTo(toLong(expected));
        }
    }

    private static KafkaProducer<byte[], byte[]> idempotentProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // A stuck batch fails within the test instead of spinning forever.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        return new KafkaProducer<>(p);
    }

    private static Map<TopicPartition, Long> endOffsets(Set<TopicPartition> partitions) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        }
    }

    private static Map<TopicPartition, Long> toLong(Map<TopicPartition, Integer> counts) {
        Map<TopicPartition, Long> out = new HashMap<>();
        counts.forEach((tp, n) -> out.put(tp, (long) n));
        return out;
    }
}
