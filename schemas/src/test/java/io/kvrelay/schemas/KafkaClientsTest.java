package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
    private final KafkaClients clients = new KafkaClients("k:9092", Map.of(
            "security.protocol", "SASL_SSL", "sasl.jaas.config", "x required password=\"p\";",
            "acks", "1", "interceptor.classes", "x.ProducerInterceptor", "config.providers", "env",
            "max.poll.records", "7"));

    @Test
    void eachClientTakesTheSettingsItKnowsOverTheCallersDefaults() {
        Properties producer = clients.producerProperties("p", Map.of("acks", "all", "linger.ms", "5"));
        assertThat(producer).containsEntry("acks", "1").containsEntry("linger.ms", "5")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("interceptor.classes",
                        "x.ProducerInterceptor").containsEntry("config.providers", "env")
                .containsEntry("bootstrap.servers", "k:9092").containsEntry("client.id", "p")
                .doesNotContainKey("max.poll.records");
        Properties consumer = clients.consumerProperties("c", Map.of(), Map.of("enable.auto.commit", "false",
                "max.poll.records", "500"));
        assertThat(consumer).containsEntry("security.protocol", "SASL_SSL").containsEntry("max.poll.records", "500")
                .containsEntry("enable.auto.commit", "false").doesNotContainKeys("acks", "interceptor.classes");
    }

    @Test
    void theClusterIsNamedOnceAndSecretsAreNotShown() {
        assertThatThrownBy(() -> new KafkaClients("k:9092", Map.of("bootstrap.servers", "other:9092")))
                .hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> new KafkaClients(" ", Map.of())).hasMessageContaining("bootstrapServers");
        assertThat(clients.toString()).contains("sasl.jaas.config=[hidden]").doesNotContain("password=");
        assertThat(clients.streamsProperties(Map.of("application.id", "a"))).containsEntry("max.poll.records", "7")
                .containsEntry("application.id", "a").containsEntry("bootstrap.servers", "k:9092");
    }
}
