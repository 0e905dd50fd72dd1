package io.kvrelay.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.stream.config.StreamAppConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

/** The restart settings (static membership, session timeout, persistent state): defaults, checks, what Kafka gets. */
class RestartSettingsTest {
    private final StreamAppConfig base = StreamAppConfig.local("localhost:9092", Path.of("/tmp/x")).withHttpPort(8090);

    @Test
    void shouldKeepDynamicMembershipAndInMemoryStoresByDefault() {
        assertThat(base.groupInstanceId()).isNull();
        assertThat(base.sessionTimeoutMs()).isEqualTo(30_000);
        assertThat(base.persistentState()).isFalse();
        Properties p = StreamApp.streamsProperties(base, new HostInfo("localhost", 8090));
        assertThat(p.stringPropertyNames()).noneMatch(k -> k.endsWith("group.instance.id"));
        assertThat(p.get("main.consumer.session.timeout.ms")).isEqualTo(30_000);
        assertThat(base.withRestart("  ", 0, false).groupInstanceId()).isNull();
    }

    @Test
    void shouldGiveTheMainConsumerTheInstanceIdAndTheSessionTimeout() {
        StreamAppConfig c = base.withRestart("kvrelay-stream-app-0", 60_000, true);
        Properties p = StreamApp.streamsProperties(c, new HostInfo("localhost", 8090));
        assertThat(p.get("main.consumer.group.instance.id")).isEqualTo("kvrelay-stream-app-0");
        assertThat(p.get("main.consumer.session.timeout.ms")).isEqualTo(60_000);
        assertThat(c.persistentState()).isTrue();
    }

    @Test
    void shouldRefuseAStaticMemberWithoutAFixedPort() {
        StreamAppConfig anyPort = StreamAppConfig.local("localhost:9092", Path.of("/tmp/x"));
        assertThatThrownBy(() -> anyPort.withRestart("stream-0", 0, false))
                .hasMessageContaining("groupInstanceId needs a fixed httpPort");
    }

    @Test
    void shouldRefuseBadInstanceIdsAndSessionTimeouts() {
        assertThatThrownBy(() -> base.withRestart("stream 0", 0, false)).hasMessageContaining("groupInstanceId");
        assertThatThrownBy(() -> base.withRestart(null, 5_000, false)).hasMessageContaining("sessionTimeoutMs");
        assertThatThrownBy(() -> base.withRestart(null, 3_600_000, false)).hasMessageContaining("sessionTimeoutMs");
        assertThatThrownBy(() -> base.withStreams(Map.of("group.instance.id", "x")))
                .hasMessageContaining("groupInstanceId");
    }

    @Test
    void shouldReadTheSettingsFromTheConfigurationFile() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        StreamAppConfig c = json.readValue("""
                {"bootstrapServers": "kafka:9092", "httpPort": 8090, "groupInstanceId": "stream-1",
                 "sessionTimeoutMs": 20000, "persistentState": true}""", StreamAppConfig.class);
        assertThat(c.groupInstanceId()).isEqualTo("stream-1");
        assertThat(c.sessionTimeoutMs()).isEqualTo(20_000);
        assertThat(c.persistentState()).isTrue();
    }
}
