package io.kvrelay.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.scoring.CostModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RouterMainTest {
    @TempDir
    Path dir;

    @Test
    void shouldApplyFlagsOverTheFile() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "kafkaBootstrap": "localhost:9092",
                 "links": {"redisHost": "localhost", "redisPort": 6379, "ownedNamespaces": ["default"]}}""");
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", file.toString(), "--http-port", "9999", "--bootstrap-servers",
                "kafka:9092", "--stream-app-urls", "http://s1:8090,http://s2:8090", "--redis-host", "redis",
                "--redis-port", "6380");
        RouterConfig c = main.config();
        assertThat(c.httpPort()).isEqualTo(9999);
        assertThat(c.kafkaBootstrap()).isEqualTo("kafka:9092");
        assertThat(c.streamAppUrls()).containsExactly("http://s1:8090", "http://s2:8090");
        assertThat(c.links().redisHost()).isEqualTo("redis");
        assertThat(c.links().redisPort()).isEqualTo(6380);
        assertThat(c.links().ownedNamespaces()).containsExactly("default");
    }

    /** The example configuration the docs point at, front door included. */
    @Test
    void shouldReadTheExampleConfiguration() throws Exception {
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", Path.of("examples", "router.json").toString());
        RouterConfig c = main.config();
        assertThat(c.openai().resolve("sim-model"))
                .isEqualTo(new io.kvrelay.router.openai.OpenAiConfig.ModelTarget("sim-model", "default", "vllm"));
        assertThat(c.openai().resolve("other")).isNull();
        assertThat(c.openai().userHeader()).isEqualTo("x-user-id");
    }

    /** The shapes docs/configuration.md shows under "Secured Kafka and Redis". */
    @Test
    void shouldReadKafkaSettingsAndRedisSecurityWithoutShowingTheSecrets() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "kafkaBootstrap": "kafka:9093",
                 "kafka": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                   "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required username=\\"kvrelay\\" password=\\"${env:KAFKA_PASSWORD}\\";",
                   "config.providers": "env",
                   "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider"},
                 "links": {"redisHost": "redis.internal", "redisPort": 6380,
                   "security": {"user": "kvrelay", "password": "s3cret-redis", "tls": true}}}""");
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", file.toString());
        RouterConfig c = main.config();
        assertThat(c.kafkaClients()).isPresent();
        java.util.Properties producer = c.kafkaClients().get().producerProperties("p", java.util.Map.of());
        assertThat(producer).containsEntry("security.protocol", "SASL_SSL").containsEntry("config.providers", "env")
                .containsEntry("bootstrap.servers", "kafka:9093");
        assertThat(c.kafkaClients().get().toString()).contains("sasl.jaas.config=[hidden]")
                .doesNotContain("ScramLoginModule");
        assertThat(c.links().security().user()).isEqualTo("kvrelay");
        assertThat(c.links().security().tls()).isTrue();
        assertThat(c.links().toString()).doesNotContain("s3cret-redis");
    }

    @Test
    void shouldKeepTheFileWhenNoFlagIsGiven() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"httpPort": 8080, "streamAppUrls": ["http://localhost:8090"],
                 "links": {"redisHost": "localhost", "redisPort": 6379}}""");
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", file.toString());
        RouterConfig c = main.config();
        // (unless the KVRELAY_* variables are set in this environment, which CI does not do)
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.links().redisHost()).isEqualTo("localhost");
    }

    @Test
    void shouldReadTheCostModelWithDefaultsForWhatIsAbsent() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "links": {"redisHost": "localhost", "redisPort": 6379},
                 "cost": {"prefillMsPerBlock": 1.5, "cpuBlockCost": 0, "storageBlockCost": 0.7, "runningMs": 3}}""");
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", file.toString());
        CostModel d = CostModel.defaults();
        assertThat(main.config().cost()).isEqualTo(new CostModel(1.5, 0, 0.7, 3, d.waitingMs(), d.kvUsageMs(),
                d.stickySlackMs(), d.reportLagMs(), d.maxInFlight(), d.maxKvUsage()));
    }

    /** A configuration of the weighted-sum model fails with what to write instead, not with unknown fields. */
    @Test
    void shouldRefuseTheOldWeightsWithWhatReplacedThem() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "links": {"redisHost": "localhost", "redisPort": 6379},
                 "cost": {"cpuBlockCost": 0.2, "runningWeight": 4, "waitingWeight": 16}}""");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new RouterMain()).execute("--config", file.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("invalid configuration")
                .contains("cost.runningMs");
    }
}
