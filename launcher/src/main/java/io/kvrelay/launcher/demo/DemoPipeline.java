package io.kvrelay.launcher.demo;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.admin.AdminServer;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.serving.TimeModel;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaProcess;
import io.kvrelay.testkit.RedisServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every part of kvrelay on this machine, started in dependency order and closed in reverse: a Kafka broker (child
 * JVM), a Redis server, the simulated vLLM fleet, the bridge, stream-app and the router. Each part is closed even when
 * a later one failed to start, so nothing is left running.
 */
public final class DemoPipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoPipeline.class);
    /** The layouts vLLM has shipped, one per pod in turn, so the demo decodes all of them. */
    private static final PayloadLayout[] LAYOUTS = PayloadLayout.values();
    private static final Duration CLOSE_BUDGET = Duration.ofSeconds(8);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final KafkaProcess kafka;
    private final RedisServer redis;
    private final SimFleet fleet;
    private final IngestBridge bridge;
    private final AdminServer bridgeAdmin;
    private final StreamApp stream;
    private final List<RouterApp> routers = new ArrayList<>();

    /**
     * Settings of one demo run.
     *
     * @param ports   the HTTP ports on 127.0.0.1
     * @param routers router replicas (1 or more), sharing Redis and each other's decisions
     * @param cost    the routers' cost model (null: the defaults)
     * @param timeModel how long the pods' OpenAI API takes to serve (null: the simulator's defaults)
     */
    public record Settings(Path workDir, String namespace, List<String> services, int podsPerService,
                           int capacityBlocks, Ports ports, String adminToken, String topicPrefix, int routers,
                           CostModel cost, TimeModel timeModel) {
        public Settings(Path workDir, String namespace, List<String> services, int podsPerService, int capacityBlocks,
                        Ports ports, String adminToken, String topicPrefix, int routers, CostModel cost) {
            this(workDir, namespace, services, podsPerService, capacityBlocks, ports, adminToken, topicPrefix, routers,
                    cost, null);
        }

        public Settings(Path workDir, String namespace, List<String> services, int podsPerService, int capacityBlocks,
                        Ports ports, String adminToken, String topicPrefix) {
            this(workDir, namespace, services, podsPerService, capacityBlocks, ports, adminToken, topicPrefix, 1, null,
                    null);
        }

        public Settings {
            if (routers < 1 || routers > 16) {
                throw new IllegalArgumentException("routers must be 1..16, got " + routers);
            }
            if (services == null || services.isEmpty()) {
                throw new IllegalArgumentException("at least one service");
            }
            if (podsPerService < 1) {
                throw new IllegalArgumentException("podsPerService must be >= 1, got " + podsPerService);
            }
            if (capacityBlocks < 16) {
                throw new IllegalArgumentException("capacityBlocks must be >= 16, got " + capacityBlocks);
            }
            services = List.copyOf(services);
            timeModel = timeModel == null ? TimeModel.defaults() : timeModel;
        }
    }

    /**
     * The HTTP ports, each 0 for any free one.
     *
     * @param router      the first router's (further routers take any free port)
     * @param stream      stream-app's
     * @param bridgeAdmin the bridge's admin API (health, metrics, pods)
     */
    public record Ports(int router, int stream, int bridgeAdmin) {
        /** Any free ports: for tests and benchmarks, which must not collide with anything running. */
        public static Ports any() {
            return new Ports(0, 0, 0);
        }
    }

    public DemoPipeline(Settings s, Consumer<String> progress) throws IOException {
        try {
            progress.accept("starting Kafka (KRaft, child JVM)");
            kafka = track(KafkaProcess.start(s.workDir().resolve("kafka"), 0));
            progress.accept("starting Redis");
            redis = track(RedisServer.start());
            progress.accept("starting " + s.services().size() * s.podsPerService() + " simulated vLLM pods");
            fleet = track(SimFleet.start(podConfigs(s)));
            progress.accept("starting ingest-bridge, stream-app and router-api");
            AdminConfig admin = new AdminConfig("127.0.0.1", s.ports().bridgeAdmin(), s.adminToken());
            bridge = track(new IngestBridge(new BridgeConfig("demo-bridge",
                    new KafkaSinkConfig(kafka.bootstrapServers(), s.topicPrefix(), true, (short) 1, "lz4", 5, Map.of()),
                    ZmqConfig.defaults(), admin, 0, 1_000, bridgePods(fleet))).start());
            // The HTTP API a deployed bridge has (health, metrics, pods), so the README's calls work on the demo too.
            bridgeAdmin = track(new AdminServer(bridge, admin).start());
            stream = track(new StreamApp(StreamAppConfig.local(kafka.bootstrapServers(), s.workDir().resolve("stream"))
                    .withHttpPort(s.ports().stream()).withApplicationId(s.topicPrefix() + "-stream")
                    .withTopicPrefix(s.topicPrefix())
                    .withAdminToken(s.adminToken())).start());
            for (int i = 0; i < s.routers(); i++) {
                routers.add(track(new RouterApp(new RouterConfig(i == 0 ? "demo-router" : "demo-router-" + (i + 1),
                        "127.0.0.1", i == 0 ? s.ports().router() : 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                        0, 200, 0, LinkConfig.of(redis.host(), redis.port(), Set.of(s.namespace())), s.cost(),
                        kafka.bootstrapServers(), s.topicPrefix(), 0, s.adminToken(), null)
                        // The front door: a model is the service of its name (the pods serve it under that name).
                        .withOpenAi(OpenAiConfig.defaults().withNamespace(s.namespace()).withModels(
                                s.services().stream().collect(java.util.stream.Collectors.toMap(m -> m, m -> m)))))
                        .start()));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T track(T part) {
        started.push(part);
        return part;
    }

    private static List<SimPodConfig> podConfigs(Settings s) {
        List<SimPodConfig> out = new ArrayList<>();
        int n = 0;
        for (String service : s.services()) {
            for (int i = 0; i < s.podsPerService(); i++, n++) {
                out.add(SimPodConfig.builder(service + "-" + i).namespace(s.namespace()).service(service)
                        .model(service).layout(LAYOUTS[n % LAYOUTS.length]).capacityBlocks(s.capacityBlocks())
                        .servingPort(0).seed(1000 + n).timeModel(s.timeModel()).build());
            }
        }
        return out;
    }

    private static List<PodConfig> bridgePods(SimFleet fleet) {
        List<PodConfig> out = new ArrayList<>();
        for (SimPod p : fleet.pods()) {
            SimPodConfig c = p.config();
            int index = Integer.parseInt(c.pod().substring(c.pod().lastIndexOf('-') + 1));
            // The serving port carries the pod's /metrics: the bridge reports its load from there.
            out.add(new PodConfig(c.namespace(), c.service(), c.pod(), index, "127.0.0.1", p.pubBasePort(),
                    p.replayBasePort(), c.dpRanks(), c.model(), "", p.servingPort(), null));
        }
        return out;
    }

    public KafkaProcess kafka() {
        return kafka;
    }

    public RedisServer redis() {
        return redis;
    }

    public SimFleet fleet() {
        return fleet;
    }

    public IngestBridge bridge() {
        return bridge;
    }

    /** The bridge's admin HTTP server (health, metrics, pods), on 127.0.0.1. */
    public AdminServer bridgeAdmin() {
        return bridgeAdmin;
    }

    public StreamApp stream() {
        return stream;
    }

    /** The first router replica. */
    public RouterApp router() {
        return routers.get(0);
    }

    /** Every router replica, the first first. */
    public List<RouterApp> routers() {
        return List.copyOf(routers);
    }

    /**
     * Closes every part that started, newest first; a failure to close one does not keep the others running. Each
     * part gets {@link #CLOSE_BUDGET}: on Ctrl-C the terminal signals the broker and Redis child processes too, so
     * they are often gone already, and a client waiting for them would otherwise hold the shutdown for a minute.
     */
    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            String name = part.getClass().getSimpleName();
            Thread closer = new Thread(() -> {
                try {
                    part.close();
                } catch (Exception e) {
                    log.warn("closing {} failed", name, e);
                }
            }, "close-" + name);
            closer.setDaemon(true);
            closer.start();
            try {
                closer.join(CLOSE_BUDGET.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (closer.isAlive()) {
                log.warn("{} did not close within {} s; moving on", name, CLOSE_BUDGET.toSeconds());
            }
        }
    }
}
