package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsAndKeysTest {

    @Test
    void shouldNameEveryTopicFromOnePrefix() {
        Topics t = Topics.withPrefix("prod", (short) 3);

        assertThat(t.all()).extracting(TopicSpec::name)
                .containsExactly("prod.kv-events", "prod.kv-events.dlq", "prod.pod-status", "prod.route-decisions",
                        "prod.bridge-pods");
        assertThat(t.bridgePods().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(t.bridgeFleet().name()).isEqualTo("prod.bridge-fleet");
        assertThat(t.bridgeFleet().partitions()).isEqualTo(Topics.BRIDGE_FLEET_SLOTS);
        assertThat(t.podStatus().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(t.kvEvents().configs()).containsEntry("min.insync.replicas", "2");
    }

    @Test
    void shouldRoundTripPodIds() {
        PodKey key = PodKey.parse("default/llama/llama-0");

        assertThat(key).isEqualTo(new PodKey("default", "llama", "llama-0"));
        assertThat(new String(key.toKafkaKey(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("default/llama/llama-0");
    }

    @Test
    void shouldRejectMalformedIdsWithAClearMessage() {
        assertThatThrownBy(() -> PodKey.parse("a/b")).hasMessageContaining("namespace/service/pod");
        assertThatThrownBy(() -> new PodKey("a", "", "c")).hasMessageContaining("service");
        assertThatThrownBy(() -> new TopicSpec("bad name", 1, (short) 1, java.util.Map.of()))
                .hasMessageContaining("bad name");
    }
}
