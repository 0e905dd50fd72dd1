package io.kvrelay.launcher.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.sim.zmq.PublishedBatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's clients: multi-turn chat conversations with shared system prompts (the simulator's
 * {@link WorkloadGenerator}, one per service), each request routed through the router's HTTP API and then run on the
 * pod the router chose, so that pod's cache and its KV events change. A request holds its pod "running" for a
 * simulated prefill (uncached blocks) and decode time, which the pod reports as load on its {@code /metrics}.
 */
public final class DemoWorkload implements AutoCloseable {
    private static final int BLOCK_SIZE = 16;
    private static final double PREFILL_MS_PER_BLOCK = 2.0;
    private static final double DECODE_MS = 1_500;

    private final String namespace;
    private final List<String> services;
    private final Map<String, WorkloadGenerator> generators = new LinkedHashMap<>();
    private final SimFleet fleet;
    private final URI route;
    private final DemoStats stats;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final ScheduledExecutorService pool = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "demo-client");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger next = new AtomicInteger();

    public DemoWorkload(String namespace, List<String> services, SimFleet fleet, int routerPort, long seed,
                        DemoStats stats) {
        this.namespace = namespace;
        this.services = List.copyOf(services);
        for (int i = 0; i < services.size(); i++) {
            generators.put(services.get(i), new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), seed + i));
        }
        this.fleet = fleet;
        this.route = URI.create("http://127.0.0.1:" + routerPort + "/v1/route");
        this.stats = stats;
    }

    /**
     * Waits until the router sees {@code pods} routable pods in every service: the bridge reports each pod's status
     * about once a second, and a request before that would be refused (no routable pod).
     *
     * @return false if that did not happen within {@code timeout}
     */
    public boolean awaitRoutable(int pods, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (String service : services) {
                all &= routable(service) >= pods;
            }
            if (all) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private int routable(String service) throws InterruptedException {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(route.resolve("/v1/services/" + namespace + "/"
                    + service + "/pods?filter=routable")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? json.readTree(r.body()).path("pods").size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** Sends {@code ratePerSecond} requests per second, spread over the services, until {@link #close()}. */
    public void start(double ratePerSecond) {
        long periodMicros = Math.max(1, (long) (1e6 / ratePerSecond));
        pool.scheduleAtFixedRate(this::oneRequest, 0, periodMicros, TimeUnit.MICROSECONDS);
    }

    private void oneRequest() {
        String service = services.get(Math.floorMod(next.getAndIncrement(), services.size()));
        WorkloadGenerator.Request r;
        WorkloadGenerator gen = generators.get(service);
        synchronized (gen) {
            r = gen.next();
        }
        String user = service + "-user-" + r.conversation();
        long t0 = System.nanoTime();
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("namespace", namespace);
            body.put("service", service);
            body.put("userId", user);
            body.put("tokens", r.tokens());
            if (r.lora() != null) {
                body.put("lora", r.lora());
            }
            HttpResponse<byte[]> resp = http.send(HttpRequest.newBuilder(route).timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            long routedNanos = System.nanoTime() - t0;
            if (resp.statusCode() != 200) {
                stats.failed("router answered " + resp.statusCode());
                return;
            }
            JsonNode answer = json.readTree(resp.body());
            String podName = answer.path("pod").path("name").asText();
            SimPod pod = fleet.pod(podName);
            int promptBlocks = r.tokens().length / BLOCK_SIZE;
            Optional<PublishedBatch> batch = pod.serve(0, r.tokens(), r.lora());
            int stored = batch.map(b -> b.summary() == null ? 0 : b.summary().storedBlocks()).orElse(0);
            int cached = Math.max(0, promptBlocks - stored);
            stats.served(podName, routedNanos, promptBlocks, cached, answer.path("sticky").asBoolean());
            hold(pod, (long) ((promptBlocks - cached) * PREFILL_MS_PER_BLOCK + DECODE_MS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            stats.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The pod reports one more running request until the simulated prefill and decode are over. */
    private void hold(SimPod pod, long millis) {
        pod.beginRequest(0);
        pool.schedule(() -> pod.endRequest(0), millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
