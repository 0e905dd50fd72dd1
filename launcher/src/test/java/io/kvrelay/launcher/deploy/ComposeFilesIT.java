package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.RequiredTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs here, so {@code docker-compose.yml} is checked as far as this machine can: Compose itself
 * validates it (Debian's {@code docker-compose}, installed by {@code .ci/run}), every jar a service image copies exists
 * after the Maven build (this runs after {@code package}), every mounted config file parses into the same config
 * record the CLI reads, and the bridge's pods are the ones the simulator container serves.
 */
class ComposeFilesIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");

    @Test
    void shouldValidateWithDockerCompose() throws Exception {
        RequiredTools.require("docker-compose", "apt-get install docker-compose");
        assertThat(composeConfig("a-token-of-the-operator-s-own")).isZero();
        // No default secret: without a token the file does not even validate.
        assertThat(composeConfig(null)).isNotZero();
    }

    private static int composeConfig(String token) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config", "-q")
                .redirectErrorStream(true);
        pb.environment().remove("KVRELAY_ADMIN_TOKEN");
        if (token != null) {
            pb.environment().put("KVRELAY_ADMIN_TOKEN", token);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void shouldHoldNoSecret() throws Exception {
        for (String f : new String[] {"docker-compose.yml", "deploy/compose/bridge.json", "deploy/compose/stream.json",
                "deploy/compose/router.json", "router-api/examples/router.json", "stream-app/examples/stream.json",
                "ingest-bridge/examples/bridge.json"}) {
            assertThat(java.nio.file.Files.readString(ROOT.resolve(f))).as(f).doesNotContain("change-me")
                    .doesNotContainPattern("\"(adminToken|token)\"\\s*:\\s*\"[^\"]");
        }
    }

    @Test
    void shouldFindEveryJarAndDockerfileTheImagesCopy() throws Exception {
        JsonNode services = compose().path("services");
        List<String> built = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> s = it.next();
            JsonNode build = s.getValue().path("build");
            if (build.isMissingNode()) {
                continue;
            }
            built.add(s.getKey());
            assertThat(ROOT.resolve(build.path("context").asText(".")).resolve(build.path("dockerfile").asText()))
                    .as("%s: Dockerfile", s.getKey()).isRegularFile();
            String jar = build.path("args").path("JAR").asText();
            assertThat(ROOT.resolve(jar)).as("%s: the jar its image copies (mvn install first)", s.getKey())
                    .isRegularFile();
        }
        assertThat(built).containsExactlyInAnyOrder("vllm-sim", "ingest-bridge", "stream-app", "router-api");
    }

    @Test
    void shouldMountConfigsTheServicesAccept() throws Exception {
        ObjectMapper strict = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        BridgeConfig bridge = ConfigLoader.load(ROOT.resolve("deploy/compose/bridge.json"));
        StreamAppConfig stream = strict.readValue(ROOT.resolve("deploy/compose/stream.json").toFile(),
                StreamAppConfig.class);
        RouterConfig router = strict.readValue(ROOT.resolve("deploy/compose/router.json").toFile(),
                RouterConfig.class);

        assertThat(bridge.kafka().bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(stream.bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(router.kafkaBootstrap()).isEqualTo("kafka:9092");
        assertThat(router.streamAppUrls()).containsExactly("http://stream-app:" + stream.httpPort());
        assertThat(router.links().redisHost()).isEqualTo("redis");
        assertThat(bridge.kafka().topicPrefix()).isEqualTo(stream.topicPrefix()).isEqualTo(router.topicPrefix());

        // The simulator container: --pods N --base-port B --serving-base-port S, port stride 2 (PUB + replay).
        List<String> sim = new ArrayList<>();
        compose().path("services").path("vllm-sim").path("command").forEach(a -> sim.add(a.asText()));
        int pods = Integer.parseInt(sim.get(sim.indexOf("--pods") + 1));
        int base = Integer.parseInt(sim.get(sim.indexOf("--base-port") + 1));
        int serving = Integer.parseInt(sim.get(sim.indexOf("--serving-base-port") + 1));
        assertThat(bridge.pods()).hasSize(pods);
        for (int i = 0; i < pods; i++) {
            var pod = bridge.pods().get(i);
            assertThat(pod.host()).isEqualTo("vllm-sim");
            assertThat(pod.pod()).isEqualTo("pod-" + i);
            assertThat(pod.pubPort()).isEqualTo(base + 2 * i);
            assertThat(pod.replayPort()).isEqualTo(base + 2 * i + 1);
            assertThat(pod.servingPort()).isEqualTo(serving + i);
        }
    }

    private static JsonNode compose() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Files.readString(COMPOSE));
    }

}
