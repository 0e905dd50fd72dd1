package io.kvrelay.ingest.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.schemas.PodKey;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class FleetConfigTest {

    @Test
    void shouldDefaultAndValidate() {
        FleetConfig d = FleetConfig.defaults();
        assertThat(d.enabled()).isFalse();
        assertThat(d.sessionTimeoutMs()).isEqualTo(10_000);
        assertThat(d.groupIdOr("kvrelay")).isEqualTo("kvrelay.bridges");
        assertThatThrownBy(() -> ConfigLoader.parse("{\"kafka\":{\"bootstrapServers\":\"k:9092\"},"
                + "\"fleet\":{\"enabled\":true,\"sessionTimeoutMs\":500}}", BridgeConfig.class))
                .hasMessageContaining("fleet.sessionTimeoutMs must be >= 1000");
        assertThatThrownBy(() -> ConfigLoader.parse("{\"kafka\":{\"bootstrapServers\":\"k:9092\"},"
                + "\"discovery\":{\"kubernetes\":{\"enabled\":true}}}", BridgeConfig.class))
                .hasMessageContaining("discovery.kubernetes.labelSelector is required");
    }

    @Test
    void shouldPutAPodInTheSlotKafkasPartitionerWould() {
        for (String pod : new String[] {"a", "llama-0", "vllm-17"}) {
            PodKey key = new PodKey("ns", "svc", pod);
            assertThat(FleetMembership.slotOf(key, 60))
                    .isEqualTo(BuiltInPartitioner.partitionForKey(key.toKafkaKey(), 60));
        }
    }
}
