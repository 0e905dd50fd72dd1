package io.kvrelay.router;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.http.ShutdownHook;
import io.kvrelay.router.config.RouterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Wiring only: configuration from a file and flags, then {@link RouterApp} until SIGTERM. */
@Command(name = "kvrelay-router", mixinStandardHelpOptions = true, versionProvider = KvrelayVersion.class,
        description = "router-api: which pod should serve a request (prefix index, load, sticky links in Redis)")
public final class RouterMain implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "JSON file with RouterConfig settings")
    Path configFile;

    @Option(names = "--http-port", defaultValue = "${env:KVRELAY_HTTP_PORT}",
            description = "API port (overrides the file) (env KVRELAY_HTTP_PORT)")
    Integer httpPort;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KVRELAY_BOOTSTRAP_SERVERS}",
            description = "Kafka cluster for decisions and drain commands; overrides kafkaBootstrap (env KVRELAY_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--stream-app-urls", split = ",", defaultValue = "${env:KVRELAY_STREAM_APP_URLS}",
            description = "stream-app instance URLs, comma-separated; overrides streamAppUrls (env KVRELAY_STREAM_APP_URLS)")
    List<String> streamAppUrls;

    @Option(names = "--redis-host", defaultValue = "${env:KVRELAY_REDIS_HOST}",
            description = "Redis host; overrides links.redisHost (env KVRELAY_REDIS_HOST)")
    String redisHost;

    @Option(names = "--redis-port", defaultValue = "${env:KVRELAY_REDIS_PORT}",
            description = "Redis port; overrides links.redisPort (env KVRELAY_REDIS_PORT)")
    Integer redisPort;

    @Option(names = "--admin-token", defaultValue = "${env:KVRELAY_ADMIN_TOKEN}",
            description = "bearer token for admin calls, overrides the file: prefer the environment variable, a flag "
                    + "shows in the process list (env KVRELAY_ADMIN_TOKEN)")
    String adminToken;

    public static void main(String[] args) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.exit(new CommandLine(new RouterMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        RouterConfig cfg;
        try {
            cfg = config();
        } catch (ValueInstantiationException e) {
            System.err.println("invalid configuration: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
            return 2;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            System.err.println("invalid configuration: " + e.getOriginalMessage());
            return 2;
        }
        RouterApp app = new RouterApp(cfg);
        ShutdownHook stop = ShutdownHook.closing(app);
        try {
            app.start();
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        stop.await();
        return 0;
    }

    /** The file's settings with the flags (or their environment variables) applied over them. */
    RouterConfig config() throws java.io.IOException {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        ObjectNode node = (ObjectNode) json.readTree(Files.readString(configFile));
        if (httpPort != null) {
            node.put("httpPort", httpPort);
        }
        if (bootstrapServers != null) {
            node.put("kafkaBootstrap", bootstrapServers);
        }
        if (streamAppUrls != null && !streamAppUrls.isEmpty()) {
            node.set("streamAppUrls", json.valueToTree(streamAppUrls));
        }
        if (redisHost != null) {
            node.withObjectProperty("links").put("redisHost", redisHost);
        }
        if (redisPort != null) {
            node.withObjectProperty("links").put("redisPort", redisPort);
        }
        if (adminToken != null && !adminToken.isBlank()) {
            node.put("adminToken", adminToken);
        }
        return json.treeToValue(node, RouterConfig.class);
    }
}
