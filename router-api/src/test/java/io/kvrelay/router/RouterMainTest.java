package io.kvrelay.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.scoring.CostWeights;
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
    void shouldReadTheCostWeightsWithTheStorageTier() throws Exception {
        Path file = dir.resolve("router.json");
        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "links": {"redisHost": "localhost", "redisPort": 6379},
                 "cost": {"cpuBlockCost": 0.2, "storageBlockCost": 0.7, "runningWeight": 4, "waitingWeight": 16,
                          "kvUsageWeight": 8, "maxInFlight": 64, "maxKvUsage": 0.98}}""");
        RouterMain main = new RouterMain();
        new CommandLine(main).parseArgs("--config", file.toString());
        assertThat(main.config().cost()).isEqualTo(new CostWeights(0.2, 0.7, 4, 16, 8, 64, 0.98));

        Files.writeString(file, """
                {"streamAppUrls": ["http://localhost:8090"], "links": {"redisHost": "localhost", "redisPort": 6379},
                 "cost": {"cpuBlockCost": 0.2, "runningWeight": 4, "waitingWeight": 16, "kvUsageWeight": 8,
                          "maxInFlight": 64, "maxKvUsage": 0.98}}""");
        assertThat(main.config().cost().storageBlockCost()).as("a configuration from before the storage tier")
                .isEqualTo(CostWeights.DEFAULT_STORAGE_BLOCK_COST);
    }
}
