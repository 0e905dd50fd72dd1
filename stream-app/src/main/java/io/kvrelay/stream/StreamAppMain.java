package io.kvrelay.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.http.ShutdownHook;
import io.kvrelay.stream.config.StreamAppConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Wiring only: configuration from a file and flags, then {@link StreamApp} until SIGTERM. */
@Command(name = "kvrelay-stream", mixinStandardHelpOptions = true, versionProvider = KvrelayVersion.class,
        description = "stream-app: the prefix index and pod state in Kafka Streams, queryable over HTTP")
public final class StreamAppMain implements Callable<Integer> {

    @Option(names = "--config", defaultValue = "${env:KVRELAY_CONFIG}",
            description = "JSON file with StreamAppConfig settings (docs/configuration.md) (env KVRELAY_CONFIG)")
    Path configFile;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KVRELAY_BOOTSTRAP_SERVERS}",
            description = "Kafka cluster (overrides the file) (env KVRELAY_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--http-port", defaultValue = "${env:KVRELAY_HTTP_PORT}",
            description = "query API port (overrides the file) (env KVRELAY_HTTP_PORT)")
    Integer httpPort;

    @Option(names = "--state-dir", defaultValue = "${env:KVRELAY_STATE_DIR}",
            description = "local state directory (overrides the file) (env KVRELAY_STATE_DIR)")
    Path stateDir;

    @Option(names = "--application-id", defaultValue = "${env:KVRELAY_APPLICATION_ID}",
            description = "Kafka Streams application id (overrides the file) (env KVRELAY_APPLICATION_ID)")
    String applicationId;

    @Option(names = "--advertised-host", defaultValue = "${env:KVRELAY_ADVERTISED_HOST}",
            description = "the host other instances and routers reach this one at, overrides the file (each replica "
                    + "its own: a StatefulSet gives it from the pod's IP or name) (env KVRELAY_ADVERTISED_HOST)")
    String advertisedHost;

    @Option(names = "--group-instance-id", defaultValue = "${env:KVRELAY_GROUP_INSTANCE_ID}",
            description = "static group membership under this stable name, overrides the file (a StatefulSet gives "
                    + "the pod's name; empty = dynamic) (env KVRELAY_GROUP_INSTANCE_ID)")
    String groupInstanceId;

    @Option(names = "--admin-token", defaultValue = "${env:KVRELAY_ADMIN_TOKEN}",
            description = "bearer token for admin calls, overrides the file: prefer the environment variable, a flag "
                    + "shows in the process list (env KVRELAY_ADMIN_TOKEN)")
    String adminToken;

    public static void main(String[] args) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new StreamAppMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        StreamAppConfig cfg;
        try {
            cfg = load();
        } catch (IllegalArgumentException e) {
            System.err.println("invalid configuration: " + e.getMessage());
            return 2;
        }
        StreamApp app = new StreamApp(cfg);
        ShutdownHook stop = ShutdownHook.closing(app);
        app.start();
        stop.await();
        return 0;
    }

    private StreamAppConfig load() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        var node = configFile == null ? json.createObjectNode() : (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(Files.readString(configFile));
        if (bootstrapServers != null) {
            node.put("bootstrapServers", bootstrapServers);
        }
        if (httpPort != null) {
            node.put("httpPort", httpPort);
        }
        if (stateDir != null) {
            node.put("stateDir", stateDir.toString());
        }
        if (applicationId != null) {
            node.put("applicationId", applicationId);
        }
        if (adminToken != null && !adminToken.isBlank()) {
            node.put("adminToken", adminToken);
        }
        if (advertisedHost != null && !advertisedHost.isBlank()) {
            node.put("advertisedHost", advertisedHost);
        }
        if (groupInstanceId != null && !groupInstanceId.isBlank()) {
            node.put("groupInstanceId", groupInstanceId);
        }
        if (!node.has("bootstrapServers")) {
            node.put("bootstrapServers", "localhost:9092");
        }
        try {
            return json.treeToValue(node, StreamAppConfig.class);
        } catch (ValueInstantiationException e) {
            throw new IllegalArgumentException(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }
}
