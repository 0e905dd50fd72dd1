package io.kvrelay.ingest.position;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.schemas.PodKey;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

class PositionRecoveryTest {

    private static KafkaSinkConfig sink(Map<String, String> producer) {
        return new KafkaSinkConfig("k:9092", "p", true, (short) 1, "lz4", 5, producer);
    }

    @Test
    void shouldGiveTheConsumerTheProducersClientSettingsButNotItsBehaviour() {
        Properties p = PositionRecovery.consumerProperties(sink(Map.of(
                "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "ssl.truststore.location", "/t.jks",
                "request.timeout.ms", "7000", "client.dns.lookup", "use_all_dns_ips",
                "buffer.memory", "1000", "linger.ms", "9", "partitioner.class", "x.Y",
                "interceptor.classes", "x.ProducerInterceptor", "client.id", "theirs")), "bridge-a");

        assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/t.jks").containsEntry("request.timeout.ms", "7000")
                .containsEntry("client.dns.lookup", "use_all_dns_ips")
                .containsEntry("bootstrap.servers", "k:9092").containsEntry("client.id", "bridge-a-position-recovery")
                .containsEntry("enable.auto.commit", "false").containsEntry("allow.auto.create.topics", "false")
                .containsEntry("isolation.level", "read_uncommitted")
                .doesNotContainKeys("buffer.memory", "linger.ms", "partitioner.class", "interceptor.classes",
                        "group.id");
    }

    @Test
    void shouldMapPodsToPartitionsAsTheDefaultPartitionerDoes() {
        PodKey pod = new PodKey("prod", "llama", "llama-7");
        int expected = Utils.toPositive(Utils.murmur2(pod.toKafkaKey())) % 12;

        assertThat(PositionRecovery.partitionOf(pod, 12)).isEqualTo(expected);

        List<WorkerId> workers = WorkerId.of(List.of(new PodConfig("prod", "llama", "llama-7", null, "h", 5557, null,
                2, null, null)));
        assertThat(workers).containsExactly(new WorkerId(pod, 0), new WorkerId(pod, 1));
        assertThat(PositionRecovery.wantedByPartition(workers, 12, true)).isEqualTo(Map.of(expected, workers));
        assertThat(PositionRecovery.wantedByPartition(workers, 3, false)).containsOnlyKeys(0, 1, 2)
                .allSatisfy((p, w) -> assertThat(w).isEqualTo(workers));
    }

    @Test
    void shouldReadEveryPartitionWhenTheProducerHasItsOwnPartitioner() {
        assertThat(PositionRecovery.defaultPartitioner(sink(Map.of()))).isTrue();
        assertThat(PositionRecovery.defaultPartitioner(sink(Map.of("partitioner.class", "x.Y")))).isFalse();
        assertThat(PositionRecovery.defaultPartitioner(sink(Map.of("partitioner.ignore.keys", "true")))).isFalse();
    }

    @Test
    void shouldCallEveryWorkerNewWhenTheTopicDoesNotExist() {
        WorkerId w = new WorkerId(new PodKey("ns", "svc", "a"), 0);
        RecoveredPositions r = new PositionRecovery(sink(Map.of()), "b")
                .scan(new InMemoryTail(0), "p.kv-events", List.of(w), System.nanoTime());

        assertThat(r.notFound()).containsExactly(w);
        assertThat(r.positions()).isEmpty();
        assertThat(r.stats().partitionsRead()).isZero();
    }
}
