package io.kvrelay.ingest.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final String MINIMAL = """
            {"kafka": {"bootstrapServers": "localhost:9092"},
             "pods": [{"namespace": "default", "service": "llama", "pod": "llama-0", "host": "10.0.0.5",
                       "pubPort": 5557, "replayPort": 5600, "dpRanks": 2, "model": "meta-llama/Llama-3.1-8B"}]}
            """;

    @Test
    void shouldFillDefaultsForAbsentSections() {
        BridgeConfig c = ConfigLoader.parse(MINIMAL, BridgeConfig.class);

        assertThat(c.zmq()).isEqualTo(ZmqConfig.defaults());
        assertThat(c.kafka().compression()).isEqualTo("lz4");
        assertThat(c.kafka().topics().kvEvents().name()).isEqualTo("kvrelay.kv-events");
        assertThat(c.handoffCapacity()).isPositive();
        assertThat(c.pods()).hasSize(1);
    }

    @Test
    void shouldOffsetPortsByDataParallelRankAsVllmDoes() {
        PodConfig p = ConfigLoader.parse(MINIMAL, BridgeConfig.class).pods().get(0);

        assertThat(p.pubEndpoint(0)).isEqualTo("tcp://10.0.0.5:5557");
        assertThat(p.pubEndpoint(1)).isEqualTo("tcp://10.0.0.5:5558");
        assertThat(p.replayEndpoint(1)).isEqualTo("tcp://10.0.0.5:5601");
    }

    @Test
    void shouldBracketIpv6Hosts() {
        PodConfig p = new PodConfig("ns", "s", "p", null, "fd00::5", 5557, null, 1, null, null);

        assertThat(p.pubEndpoint(0)).isEqualTo("tcp://[fd00::5]:5557");
        assertThat(p.replayEndpoint(0)).isNull();
    }

    @Test
    void shouldNameTheBadSetting() {
        assertThatThrownBy(() -> ConfigLoader.parse("{\"kafka\": {}}", BridgeConfig.class))
                .isInstanceOf(ConfigLoader.InvalidConfigException.class)
                .hasMessageContaining("kafka.bootstrapServers");
        assertThatThrownBy(() -> ConfigLoader.parse(
                "{\"kafka\": {\"bootstrapServers\": \"x:1\"}, \"zmq\": {\"receiveHighWaterMark\": -1,"
                        + " \"replayTimeoutMs\": 1, \"reconnectIntervalMs\": 1, \"reconnectIntervalMaxMs\": 1,"
                        + " \"livenessTimeoutMs\": 1, \"ipv6\": true}}", BridgeConfig.class))
                .hasMessageContaining("zmq.receiveHighWaterMark");
        assertThatThrownBy(() -> ConfigLoader.parse(
                "{\"namespace\": \"a\", \"service\": \"b\", \"pod\": \"c\", \"host\": \"h\", \"pubPort\": 65535,"
                        + " \"dpRanks\": 2}", PodConfig.class))
                .hasMessageContaining("pubPort");
    }

    @Test
    void shouldRejectUnknownKeysAndBrokenJsonWithAPosition() {
        assertThatThrownBy(() -> ConfigLoader.parse("{\"kafka\": {\"bootstrapServers\": \"x:1\"}, \"podz\": []}",
                BridgeConfig.class)).hasMessageContaining("podz");
        assertThatThrownBy(() -> ConfigLoader.parse("{\"kafka\": ", BridgeConfig.class))
                .hasMessageContaining("line 1");
    }

    @Test
    void shouldRejectDuplicatePods() {
        String twice = MINIMAL.replace("]}", ", {\"namespace\": \"default\", \"service\": \"llama\", \"pod\": \"llama-0\","
                + " \"host\": \"h\", \"pubPort\": 6000}]}");

        assertThatThrownBy(() -> ConfigLoader.parse(twice, BridgeConfig.class)).hasMessageContaining("listed twice");
    }

    @Test
    void shouldLoadTheShippedExample() {
        BridgeConfig c = ConfigLoader.load(java.nio.file.Path.of("examples", "bridge.json"));

        assertThat(c.pods()).extracting(p -> p.key().id()).containsExactly("default/llama-8b/llama-8b-0");
        assertThat(c.pods().get(0).address()).isEqualTo("127.0.0.1:8000");
        assertThat(c.admin().port()).isEqualTo(8081);
    }

    @Test
    void shouldSayWhichFileIsMissing() {
        assertThatThrownBy(() -> ConfigLoader.load(java.nio.file.Path.of("no-such.json")))
                .hasMessageContaining("no-such.json");
    }

    @Test
    void shouldRejectPortRangesThatCollideAcrossRanks() {
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "h", 5557, 5558, 2, null, null))
                .hasMessageContaining("overlap");
        assertThat(new PodConfig("ns", "s", "p", null, "h", 5557, 5600, 2, null, null).replayEndpoint(1))
                .isEqualTo("tcp://h:5601");
    }

    @Test
    void shouldDeriveTheAddressAndMetricsUrlFromTheServingPort() {
        PodConfig p = ConfigLoader.parse(MINIMAL.replace("\"dpRanks\": 2", "\"dpRanks\": 2, \"servingPort\": 8000"),
                BridgeConfig.class).pods().get(0);
        assertThat(p.address()).isEqualTo("10.0.0.5:8000");
        assertThat(p.metricsUri()).hasToString("http://10.0.0.5:8000/metrics");

        PodConfig v6 = new PodConfig("ns", "s", "p", null, "fd00::5", 5557, null, 1, null, null, 8000, "/vllm/metrics");
        assertThat(v6.address()).isEqualTo("[fd00::5]:8000");
        assertThat(v6.metricsUri()).hasToString("http://[fd00::5]:8000/vllm/metrics");

        PodConfig none = new PodConfig("ns", "s", "p", null, "h", 5557, null, 1, null, null);
        assertThat(none.address()).isNull();
        assertThat(none.metricsUri()).isNull();
        assertThat(none.metricsPath()).isEqualTo("/metrics");
    }

    @Test
    void shouldReadBackAPodAsTheAdminApiWritesIt() throws Exception {
        PodConfig p = new PodConfig("ns", "s", "p", 3, "fd00::5", 5557, 5600, 2, "m", "", 8000, "/metrics");

        String json = ConfigLoader.json().writeValueAsString(p);
        assertThat(json).contains("\"servingPort\":8000").doesNotContain("address").doesNotContain("metricsUri");
        assertThat(ConfigLoader.parse(json, PodConfig.class)).isEqualTo(p);
    }

    @Test
    void shouldRejectBadServingSettingsWithTheirNames() {
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "h", 5557, 5600, 2, null, null, 5558, null))
                .hasMessageContaining("servingPort 5558 falls inside");
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "h", 5557, 5600, 2, null, null, 5601, null))
                .hasMessageContaining("servingPort");
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "h", 5557, null, 1, null, null, 70_000, null))
                .hasMessageContaining("servingPort must be 1..65535");
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "h", 5557, null, 1, null, null, 8000, "metrics"))
                .hasMessageContaining("metricsPath must start with /");
        assertThatThrownBy(() -> new PodConfig("ns", "s", "p", null, "bad_host", 5557, null, 1, null, null, 8000, null))
                .hasMessageContaining("valid http URL");
    }

    @Test
    void shouldFillPodMetricsDefaultsFromTheStatusIntervalAndCheckThemAgainstIt() {
        BridgeConfig defaults = ConfigLoader.parse(MINIMAL, BridgeConfig.class);
        assertThat(defaults.podMetrics()).isEqualTo(new PodMetricsConfig(1_000, 15_000));

        BridgeConfig fast = ConfigLoader.parse(MINIMAL.replace("{\"kafka\"", "{\"statusIntervalMs\": 200, \"kafka\""),
                BridgeConfig.class);
        assertThat(fast.podMetrics()).isEqualTo(new PodMetricsConfig(200, 600));

        assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL.replace("{\"kafka\"",
                "{\"statusIntervalMs\": 500, \"podMetrics\": {\"timeoutMs\": 800}, \"kafka\""), BridgeConfig.class))
                .hasMessageContaining("podMetrics.timeoutMs (800) must be <= statusIntervalMs (500)");
        assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL.replace("{\"kafka\"",
                "{\"podMetrics\": {\"staleAfterMs\": 5000}, \"kafka\""), BridgeConfig.class))
                .hasMessageContaining("podMetrics.staleAfterMs (5000) must be >= statusIntervalMs");
        assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL.replace("{\"kafka\"",
                "{\"podMetrics\": {\"timeout\": 5}, \"kafka\""), BridgeConfig.class))
                .hasMessageContaining("timeout");
    }

    @Test
    void shouldRefuseProducerOverridesThatWouldBreakTheGuarantees() {
        assertThatThrownBy(() -> new KafkaSinkConfig("x:1", null, null, (short) 1, null, 0, java.util.Map.of("acks", "1")))
                .hasMessageContaining("kafka.producer.acks");
    }

    @Test
    void shouldRecoverPositionsByDefaultWithinDefaultBounds() {
        KafkaSinkConfig k = ConfigLoader.parse(MINIMAL, BridgeConfig.class).kafka();

        assertThat(k.recoverPositions()).isTrue();
        assertThat(k.recovery()).isEqualTo(KafkaSinkConfig.RecoveryBounds.defaults());
        assertThat(k.recovery().timeoutMs()).isEqualTo(KafkaSinkConfig.RecoveryBounds.DEFAULT_TIMEOUT_MS);

        KafkaSinkConfig set = ConfigLoader.parse(MINIMAL.replace("\"localhost:9092\"", "\"localhost:9092\","
                + " \"recoverPositions\": false, \"recovery\": {\"timeoutMs\": 5000, \"chunkRecords\": 500}"),
                BridgeConfig.class).kafka();
        assertThat(set.recoverPositions()).isFalse();
        assertThat(set.recovery()).isEqualTo(new KafkaSinkConfig.RecoveryBounds(5_000,
                KafkaSinkConfig.RecoveryBounds.DEFAULT_MAX_SCAN_MS,
                KafkaSinkConfig.RecoveryBounds.DEFAULT_MAX_RECORDS_PER_PARTITION, 500));
        assertThat(set.withBootstrapServers("other:1")).isEqualTo(new KafkaSinkConfig("other:1", set.topicPrefix(),
                set.createTopics(), set.replicationFactor(), set.compression(), set.lingerMs(), set.producer(),
                false, set.recovery()));

        assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL.replace("\"localhost:9092\"", "\"localhost:9092\","
                + " \"recovery\": {\"maxRecordsPerPartition\": -1}"), BridgeConfig.class))
                .isInstanceOf(ConfigLoader.InvalidConfigException.class)
                .hasMessageContaining("kafka.recovery.maxRecordsPerPartition");
    }
}
