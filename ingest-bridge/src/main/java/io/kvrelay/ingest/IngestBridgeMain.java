package io.kvrelay.ingest;

import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.http.ShutdownHook;
import io.kvrelay.ingest.admin.AdminServer;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Starts the ingest bridge from a JSON config file; flags override the file. Wiring only. */
@Command(name = "ingest-bridge", mixinStandardHelpOptions = true, versionProvider = KvrelayVersion.class,
        description = "Subscribes to vLLM pods' KV-event ZeroMQ publishers and republishes the events to Kafka.")
public final class IngestBridgeMain implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, description = "JSON config file (see docs/configuration.md)")
    Path config;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KVRELAY_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers; overrides kafka.bootstrapServers (env KVRELAY_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--instance-id", defaultValue = "${env:KVRELAY_INSTANCE_ID}",
            description = "this bridge's name (client ids, the source of its pod statuses); overrides instanceId. "
                    + "Bridges sharing a fleet need one each: in Kubernetes, the pod's name (env KVRELAY_INSTANCE_ID)")
    String instanceId;

    @Option(names = "--admin-port", defaultValue = "${env:KVRELAY_ADMIN_PORT}",
            description = "HTTP port for /health, /metrics and /pods; overrides admin.port (env KVRELAY_ADMIN_PORT)")
    Integer adminPort;

    @Option(names = "--admin-token", defaultValue = "${env:KVRELAY_ADMIN_TOKEN}",
            description = "bearer token for admin calls, overrides the file: prefer the environment variable, a flag "
                    + "shows in the process list (env KVRELAY_ADMIN_TOKEN)")
    String adminToken;

    public static void main(String[] args) {
        // Must be set before the JDK HTTP server classes load: without it every keep-alive response waits 40 ms.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new IngestBridgeMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        BridgeConfig cfg;
        try {
            cfg = withOverrides(ConfigLoader.load(config));
        } catch (ConfigLoader.InvalidConfigException | IllegalArgumentException e) {
            System.err.println("invalid configuration: " + e.getMessage());
            return 2;
        }
        IngestBridge bridge;
        try {
            bridge = new IngestBridge(cfg);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            System.err.println("invalid configuration: kafka.producer: " + e.getMessage());
            return 2;
        }
        try {
            bridge.start();
        } catch (RuntimeException e) {
            System.err.println("cannot start the bridge: " + e.getMessage());
            return 1;
        }
        AdminServer admin = new AdminServer(bridge, cfg.admin()).start();
        // The admin endpoint first: nothing is asked of a bridge that is stopping.
        ShutdownHook.closing(admin, bridge).await();
        return 0;
    }

    private BridgeConfig withOverrides(BridgeConfig c) {
        KafkaSinkConfig k = c.kafka();
        if (bootstrapServers != null) {
            k = k.withBootstrapServers(bootstrapServers);
        }
        AdminConfig a = new AdminConfig(c.admin().host(), adminPort == null ? c.admin().port() : adminPort,
                adminToken == null || adminToken.isBlank() ? c.admin().token() : adminToken);
        String id = instanceId == null || instanceId.isBlank() ? c.instanceId() : instanceId;
        return new BridgeConfig(id, k, c.zmq(), a, c.handoffCapacity(), c.statusIntervalMs(), c.pods(),
                c.podMetrics(), c.discovery(), c.fleet());
    }
}
