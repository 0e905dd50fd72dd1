package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpServer;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.RequiredTools;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs here, so {@code docker-compose.yml} is checked as far as this machine can: Compose itself
 * validates it (Debian's {@code docker-compose}, installed by {@code .ci/run}), every image a service runs is one
 * the Maven build made (this runs after {@code package}), every mounted config file parses into the same config
 * record the CLI reads, the bridge's pods are the ones the simulator container serves, the broker is reachable from
 * the host where the docs read it, and the health checks pass on a 200 status only (run here against a local server).
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
                "ingest-bridge/examples/bridge.json", "deploy/k8s/base/bridge.json", "deploy/k8s/base/stream.json",
                "deploy/k8s/base/router.json", "deploy/k8s/overlays/example/kustomization.yaml"}) {
            assertThat(java.nio.file.Files.readString(ROOT.resolve(f))).as(f).doesNotContain("change-me")
                    .doesNotContainPattern("\"(adminToken|token)\"\\s*:\\s*\"[^\"]");
        }
    }

    /** Each kvrelay service runs an image the Maven build made (a Jib tarball naming it), of this version. */
    @Test
    void shouldNameTheImagesTheBuildMakes() throws Exception {
        ImagesIT.assumeImagesAreBuilt();
        JsonNode services = compose().path("services");
        Map<String, String> tarballs = Map.of("vllm-sim", "vllm-sim/target/vllm-sim-image.tar",
                "ingest-bridge", "ingest-bridge/target/ingest-bridge-image.tar",
                "stream-app", "stream-app/target/stream-app-image.tar",
                "router-api", "router-api/target/router-image.tar");
        for (Map.Entry<String, String> t : tarballs.entrySet()) {
            JsonNode service = services.path(t.getKey());
            assertThat(service.path("build").isMissingNode()).as("%s: no Dockerfile build", t.getKey()).isTrue();
            String image = service.path("image").asText();
            assertThat(image).as(t.getKey()).startsWith("kvrelay/").endsWith(":" + KvrelayVersion.current());
            Path tar = ROOT.resolve(t.getValue());
            assertThat(tar).as("%s: its image tarball (mvn install first)", t.getKey()).isRegularFile();
            Process p = new ProcessBuilder("tar", "-xOf", tar.toString(), "manifest.json").start();
            JsonNode manifest = new ObjectMapper().readTree(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(manifest.get(0).get("RepoTags").get(0).asText()).as(t.getKey()).isEqualTo(image);
        }
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

    /**
     * The README and schemas/CONSUMING.md read the topics from the host ({@code kcat -b localhost:9092},
     * {@code replay --bootstrap-servers localhost:9092}): that port is published, onto a listener that advertises the
     * same host address (the broker sends clients on to its advertised address; {@code kafka:9092} is unknown on the
     * host).
     */
    @Test
    void shouldPublishKafkaWhereTheDocsReadIt() throws Exception {
        JsonNode kafka = compose().path("services").path("kafka");
        Map<String, String> listeners = listenerMap(kafka.path("environment").path("KAFKA_LISTENERS").asText());
        Map<String, String> advertised = listenerMap(kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS")
                .asText());
        Map<Integer, Integer> published = new java.util.HashMap<>();  // host port -> container port
        kafka.path("ports").forEach(p -> {
            String[] hc = p.asText().split(":");
            published.put(Integer.parseInt(hc[hc.length - 2]), Integer.parseInt(hc[hc.length - 1]));
        });
        java.util.Set<Integer> docPorts = new java.util.TreeSet<>();
        Pattern hostKafka = Pattern.compile("(?:-b|--bootstrap-servers) localhost:(\\d+)");
        for (String doc : new String[] {"README.md", "schemas/CONSUMING.md"}) {
            Matcher m = hostKafka.matcher(Files.readString(ROOT.resolve(doc)));
            while (m.find()) {
                docPorts.add(Integer.parseInt(m.group(1)));
            }
        }
        assertThat(docPorts).as("host Kafka addresses in the docs").isNotEmpty();
        for (int port : docPorts) {
            assertThat(published).as("Kafka's published ports").containsKey(port);
            String listener = listeners.entrySet().stream()
                    .filter(e -> e.getValue().endsWith(":" + published.get(port))).map(Map.Entry::getKey)
                    .findFirst().orElseThrow(() -> new AssertionError("no listener on " + published.get(port)));
            assertThat(advertised.get(listener)).as("what listener %s advertises", listener)
                    .isEqualTo("localhost:" + port);
        }
        // The containers keep theirs.
        assertThat(advertised).containsEntry("PLAINTEXT", "kafka:9092");
    }

    private static Map<String, String> listenerMap(String spec) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String l : spec.split(",")) {
            String[] nameAddr = l.strip().split("://", 2);
            out.put(nameAddr[0], nameAddr[1]);
        }
        return out;
    }

    /**
     * Each kvrelay service's health check, run here as the container would run it (the image's java with the image's
     * classpath: here this test's, which holds the same HealthProbe) against a local server in place of the service:
     * a 200 passes; a 503 whose body says 200 (the first checks grepped "200" anywhere) and a closed port fail.
     * ImagesIT runs the probe inside an image against a live simulator.
     */
    @Test
    void shouldPassHealthChecksOnStatus200Only() throws Exception {
        for (String service : new String[] {"vllm-sim", "ingest-bridge", "stream-app", "router-api"}) {
            JsonNode test = compose().path("services").path(service).path("healthcheck").path("test");
            List<String> cmd = new ArrayList<>();
            test.forEach(t -> cmd.add(t.asText()));
            assertThat(cmd.subList(0, 5)).as(service).containsExactly("CMD", "java", "-cp",
                    "@/app/jib-classpath-file", "io.kvrelay.http.HealthProbe");
            URI url = URI.create(cmd.get(5));
            assertThat(url.getHost()).isEqualTo("127.0.0.1");
            String path = url.getPath();
            if (!service.equals("vllm-sim")) {
                assertThat(path).as("%s: the readiness probe", service).isEqualTo("/readyz");
            }
            assertThat(runCheck(path, 200, "{\"status\":\"UP\"}")).as("%s on a 200", service).isZero();
            assertThat(runCheck(path, 503, "{\"status\":\"DOWN\",\"reason\":\"200 records behind\"}"))
                    .as("%s on a 503 that mentions 200", service).isNotZero();
            assertThat(runCheck(path, -1, null)).as("%s with nothing listening", service).isNotZero();
        }
    }

    /** The probe's exit code against a local server answering {@code status} on {@code path} (-1: nothing listens). */
    private static int runCheck(String path, int status, String body) throws Exception {
        HttpServer server = null;
        int port;
        if (status > 0) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext(path, ex -> {
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            server.start();
            port = server.getAddress().getPort();
        } else {
            try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = closed.getLocalPort();
            }
        }
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "io.kvrelay.http.HealthProbe",
                    "http://127.0.0.1:" + port + path).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("health check still running after 60 s");
            }
            return p.exitValue();
        } finally {
            if (server != null) {
                server.stop(0);
            }
        }
    }

    private static JsonNode compose() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Files.readString(COMPOSE));
    }

}
