package io.kvrelay.launcher.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.launcher.KvrelayMain;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.links.RedisSecurity;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.Topics;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaProcess;
import io.kvrelay.testkit.RequiredTools;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Every part against a secured cluster and a secured Redis, as an operator runs them: a broker whose only listener
 * takes SASL/PLAIN for one user, a Redis that takes TLS only (a CA of the test's own) and an ACL user with a password.
 * A simulated pod publishes through the bridge, stream-app indexes it, the router routes to it (its link written to
 * Redis over TLS), publishes the decision and drains the pod through Kafka, and {@code kvrelay replay} reads the log
 * again: each with the cluster's settings given once, in its own configuration. Neither password appears in any log
 * line of the run.
 */
class SecuredInfrastructureIT {
    @TempDir
    Path dir;

    @Test
    void everyPartWorksAgainstSaslKafkaAndTlsRedisWithoutLoggingASecret() throws Exception {
        RequiredTools.require("redis-server", "apt-get install redis-server");
        RequiredTools.require("openssl", "apt-get install openssl");
        String kafkaPassword = "kafka-" + UUID.randomUUID();
        String redisPassword = "redis-" + UUID.randomUUID();
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logged);
        KafkaProcess.SaslUser user = new KafkaProcess.SaslUser("kvrelay", kafkaPassword);
        String prefix = "secured";
        SimPod pod = null;
        try (KafkaProcess kafka = KafkaProcess.startSasl(dir.resolve("kafka"), user);
             TlsRedis redis = TlsRedis.start(dir.resolve("redis"), "kvrelay", redisPassword)) {
            Map<String, String> sasl = user.clientProperties();
            assertThat(catchThrowable(() -> listTopics(KafkaClients.of(kafka.bootstrapServers()))))
                    .as("the broker refuses a client without the credentials").isNotNull();

            pod = SimPod.start(SimPodConfig.builder("sec-0").namespace("ns").service("svc")
                    .preset(FidelityPreset.VLLM).seed(7).build());
            BridgeConfig bridgeConfig = new BridgeConfig("sec", new KafkaSinkConfig(kafka.bootstrapServers(), prefix,
                    true, (short) 1, "lz4", 1, sasl), ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0), 1_024,
                    5_000, List.of(new PodConfig("ns", "svc", "sec-0", null, "127.0.0.1", pod.pubBasePort(),
                    pod.replayBasePort(), 1, null, "")));
            try (IngestBridge bridge = new IngestBridge(bridgeConfig).start();
                 StreamApp stream = new StreamApp(StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                         .withApplicationId(prefix).withTopicPrefix(prefix).withStreams(sasl)).start()) {
                assertThat(pod.awaitSubscribers(0, 1, Duration.ofSeconds(120))).isTrue();
                WorkloadGenerator gen = new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 7);
                WorkloadGenerator.Request served = gen.next();
                pod.serve(0, served.tokens(), served.lora());
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                        .until(() -> stream.healthy() && stream.indexEntries() > 0);

                LinkConfig links = LinkConfig.of("127.0.0.1", redis.tlsPort(), Set.of("ns"))
                        .withSecurity(new RedisSecurity("kvrelay", redisPassword, null, true,
                                redis.caCert().toString()));
                RouterConfig rc = new RouterConfig("sec-router", null, 0, 0,
                        List.of("http://127.0.0.1:" + stream.httpPort()), 0, 0, 0, links, CostModel.defaults(),
                        kafka.bootstrapServers(), prefix, 0, "admin-" + UUID.randomUUID(), null, null, null,
                        HttpLimits.defaults(), sasl);
                try (RouterApp router = new RouterApp(rc).start()) {
                    HttpClient http = HttpClient.newHttpClient();
                    String body = "{\"namespace\":\"ns\",\"service\":\"svc\",\"userId\":\"alice\",\"tokens\":["
                            + IntStream.of(served.tokens()).mapToObj(String::valueOf).collect(Collectors.joining(","))
                            + "]" + (served.lora() == null ? "" : ",\"lora\":\"" + served.lora() + "\"") + "}";
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        HttpResponse<String> route = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + router.port() + "/v1/route"))
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(route.statusCode()).as(route.body()).isEqualTo(200);
                        assertThat(route.body()).contains("\"sec-0\"");
                    });
                    // The first decision may not wait for the TLS handshake (links.redisDeadlineMs); the link is
                    // written behind it, and the user's next requests keep it.
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                                + "/v1/route")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.discarding());
                        Map<String, Double> outcomes = new java.util.TreeMap<>();
                        router.registry().find("kvrelay.links.decisions").counters().forEach(c -> outcomes.put(
                                c.getId().getTag("outcome"), c.count()));
                        assertThat(outcomes.getOrDefault("kept", 0.0) + outcomes.getOrDefault("created", 0.0))
                                .as("links written to and read from Redis over TLS as the ACL user: " + outcomes)
                                .isPositive();
                    });
                    assertThat(router.registry().find("kvrelay.links.redis.errors").counter().count())
                            .as("Redis errors").isZero();
                    HttpResponse<String> drain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                    + router.port() + "/v1/services/ns/svc/pods/sec-0/drain"))
                            .header("Authorization", "Bearer " + rc.adminToken())
                            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(drain.statusCode()).as("drain through SASL Kafka: " + drain.body()).isBetween(200, 299);
                    Topics topics = Topics.withPrefix(prefix, (short) 1);
                    KafkaClients secured = new KafkaClients(kafka.bootstrapServers(), sasl);
                    await().atMost(Duration.ofSeconds(60)).until(() -> endOffset(secured,
                            topics.routeDecisions().name()) > 0);
                }
                // The replay tool, with the settings in a file (secrets off the command line).
                Path settings = dir.resolve("kafka.properties");
                Files.writeString(settings, sasl.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("\n")));
                int exit = new CommandLine(new KvrelayMain()).execute("replay", "--bootstrap-servers",
                        kafka.bootstrapServers(), "--kafka-config", settings.toString(), "--topic-prefix", prefix,
                        "--out", dir.resolve("replay").toString());
                assertThat(exit).isZero();
                assertThat(dir.resolve("replay").resolve("replay.json")).exists();
                assertThat(bridge.metrics().count("kvrelay.bridge.kafka.send.errors")).isZero();
            }
        } finally {
            if (pod != null) {
                pod.close();
            }
            root.detachAppender(logged);
        }
        List<String> leaks = new ArrayList<>();
        for (ILoggingEvent e : logged.list) {
            String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                    : e.getThrowableProxy().getMessage());
            if (line.contains(kafkaPassword) || line.contains(redisPassword)) {
                leaks.add(line);
            }
        }
        assertThat(logged.list).as("the run logged").isNotEmpty();
        assertThat(leaks).as("log lines holding a password").isEmpty();
    }

    private static void listTopics(KafkaClients kafka) throws Exception {
        try (Admin admin = kafka.admin("it-no-credentials", Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000"))) {
            admin.listTopics().names().get(10, TimeUnit.SECONDS);
        }
    }

    private static long endOffset(KafkaClients kafka, String topic) {
        try (Consumer<byte[], byte[]> c = kafka.consumer("it-decisions", Map.of())) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return c.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Debian's redis-server on a TLS port only (no plaintext port), with a certificate for 127.0.0.1 signed by a CA
     * made here, the default user disabled and one ACL user with a password: a client needs the CA, the user and the
     * password, or it gets nothing.
     */
    record TlsRedis(Process process, int tlsPort, Path caCert) implements AutoCloseable {
        static TlsRedis start(Path dir, String username, String password) throws Exception {
            Files.createDirectories(dir);
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=kvrelay-test-ca",
                    "-keyout", "ca.key", "-out", "ca.pem");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "redis.key",
                    "-out", "redis.csr");
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
            openssl(dir, "x509", "-req", "-in", "redis.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "san.ext", "-out", "redis.pem");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder("redis-server", "--port", "0", "--tls-port", String.valueOf(port),
                    "--bind", "127.0.0.1", "--tls-cert-file", "redis.pem", "--tls-key-file", "redis.key",
                    "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
                    "--user", "default", "off", "--user", username, "on", ">" + password, "~*", "&*", "+@all")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile())
                    .start();
            TlsRedis redis = new TlsRedis(p, port, dir.resolve("ca.pem"));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                assertThat(p.isAlive()).as(Files.readString(dir.resolve("redis.log"))).isTrue();
                try (ServerSocket probe = new ServerSocket(port)) {
                    return false;
                } catch (IOException inUse) {
                    return true;
                }
            });
            return redis;
        }

        private static void openssl(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
