package io.kvrelay.launcher.pipeline;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A whole pipeline over simulated pods, as the ITs that need every part use it: the pods (each with a serving port),
 * the shared test broker, a bridge subscribed to every pod, stream-app, an embedded Redis and a router. Topics and
 * the Streams application are named for this fixture alone. Closes everything it started, last first.
 */
public final class PipelineFixture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, SimPod> pods = new LinkedHashMap<>();
    private final List<AutoCloseable> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private IngestBridge bridge;
    private StreamApp stream;
    private RouterApp router;
    private String prefix;

    private PipelineFixture() {
    }

    /**
     * Starts the pods ({@code servingPort} set to a free port where the config has none), then the rest.
     *
     * @param routerConfig changes to the router's configuration (the front door's models, say)
     */
    public static PipelineFixture start(Path dir, List<SimPodConfig> podConfigs,
                                        UnaryOperator<RouterConfig> routerConfig) throws Exception {
        return start(dir, podConfigs, routerConfig, UnaryOperator.identity());
    }

    /**
     * @param bridgeConfig changes to the bridge's configuration (which lists every pod: drop them to have the bridge
     *                     find them some other way)
     */
    public static PipelineFixture start(Path dir, List<SimPodConfig> podConfigs, UnaryOperator<RouterConfig> routerConfig,
                                        UnaryOperator<BridgeConfig> bridgeConfig) throws Exception {
        PipelineFixture f = new PipelineFixture();
        try {
            f.startAll(dir, podConfigs, routerConfig, bridgeConfig);
            return f;
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
    }

    private void startAll(Path dir, List<SimPodConfig> podConfigs, UnaryOperator<RouterConfig> routerConfig,
                          UnaryOperator<BridgeConfig> changeBridge) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        prefix = "it-pipeline-" + System.nanoTime();
        List<PodConfig> subscribed = new ArrayList<>();
        for (SimPodConfig c : podConfigs) {
            SimPod pod = SimPod.start(c.servingPort() == null ? c.toBuilder().servingPort(0).build() : c);
            pods.put(c.pod(), pod);
            started.add(pod);
            subscribed.add(new PodConfig(c.namespace(), c.service(), c.pod(), null, "127.0.0.1", pod.pubBasePort(),
                    pod.replayBasePort(), c.dpRanks(), c.model(), "", pod.servingPort(), null));
        }
        RedisServer redis = RedisServer.start();
        started.add(redis::stop);
        BridgeConfig bridgeConfig = new BridgeConfig(prefix, new KafkaSinkConfig(broker.bootstrapServers(), prefix,
                true, (short) 1, "lz4", 1, Map.of()), ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0), 1_024,
                5_000, subscribed);
        bridge = new IngestBridge(changeBridge.apply(bridgeConfig)).start();
        started.add(bridge);
        stream = new StreamApp(StreamAppConfig.local(broker.bootstrapServers(), dir.resolve("stream"))
                .withApplicationId(prefix).withTopicPrefix(prefix)).start();
        started.add(stream);
        Set<String> namespaces = new java.util.TreeSet<>();
        podConfigs.forEach(c -> namespaces.add(c.namespace()));
        RouterConfig rc = new RouterConfig(prefix + "-router", null, 0, 0,
                List.of("http://127.0.0.1:" + stream.httpPort()), 0, 0, 0,
                LinkConfig.of(redis.host(), redis.port(), namespaces).withKeyPrefix(prefix + ":"),
                CostModel.defaults(), broker.bootstrapServers(), prefix, 0, null, null);
        router = new RouterApp(routerConfig.apply(rc)).start();
        started.add(router);
    }

    public SimPod pod(String name) {
        SimPod p = pods.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no pod " + name + " in this fixture: " + pods.keySet());
        }
        return p;
    }

    public IngestBridge bridge() {
        return bridge;
    }

    /** The topic prefix of this fixture's pipeline. */
    public String prefix() {
        return prefix;
    }

    public RouterApp router() {
        return router;
    }

    public StreamApp stream() {
        return stream;
    }

    public String routerUrl() {
        return "http://127.0.0.1:" + router.port();
    }

    /** Waits (generously) until the router sees {@code n} routable pods in the service. */
    public void awaitRoutable(String namespace, String service, int n) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() -> routable(namespace,
                service) >= n);
    }

    /** The router's routable pods of a service now. */
    public int routable(String namespace, String service) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(routerUrl() + "/v1/services/"
                + namespace + "/" + service + "/pods?filter=routable")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return 0;
        }
        JsonNode pods = JSON.readTree(r.body()).path("pods");
        return pods.size();
    }

    /** The front-door requests the router counts as open on each pod of a service now. */
    public Map<String, Integer> openRequests(String namespace, String service) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(routerUrl() + "/v1/services/"
                + namespace + "/" + service + "/in-flight")).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Integer> open = new LinkedHashMap<>();
        JSON.readTree(r.body()).path("pods").forEach(p -> open.put(p.path("pod").asText(), p.path("open").asInt()));
        return open;
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
        started.clear();
    }
}
