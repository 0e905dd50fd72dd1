package io.kvrelay.launcher.demo;

import io.kvrelay.launcher.client.RouterClient;
import io.kvrelay.sim.SimFleet;
import io.kvrelay.sim.ServedPrompt;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.WorkloadGenerator;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's clients: multi-turn chat conversations with shared system prompts (the simulator's
 * {@link WorkloadGenerator}, one per service), each request routed through the router's HTTP API and then run on the
 * pod the router chose, so that pod's cache and its KV events change. A request holds its pod "running" for a
 * simulated prefill (uncached blocks) and decode time, which the pod reports as load on its {@code /metrics}: one more
 * running request, and its prompt's blocks in the KV usage.
 */
public final class DemoWorkload implements AutoCloseable {
    private static final int BLOCK_SIZE = 16;
    private static final double PREFILL_MS_PER_BLOCK = 2.0;
    private static final double DECODE_MS = 1_500;

    private final List<String> services;
    private final Map<String, WorkloadGenerator> generators = new LinkedHashMap<>();
    private final SimFleet fleet;
    private final RouterClient router;
    private final DemoStats stats;
    private final ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(4, r -> {
        Thread t = new Thread(r, "demo-client");
        t.setDaemon(true);
        return t;
    });

    {
        // At close, requests' scheduled ends are run at once (close()), not waited for.
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }
    private final AtomicInteger next = new AtomicInteger();
    /** Requests running on a pod whose scheduled end has not run yet. */
    private final Set<Runnable> unreleased = ConcurrentHashMap.newKeySet();

    public DemoWorkload(String namespace, List<String> services, SimFleet fleet, int routerPort, long seed,
                        DemoStats stats) {
        this.services = List.copyOf(services);
        for (int i = 0; i < services.size(); i++) {
            generators.put(services.get(i), new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), seed + i));
        }
        this.fleet = fleet;
        this.router = new RouterClient(routerPort, namespace);
        this.stats = stats;
    }

    /**
     * Waits until the router sees {@code pods} routable pods in every service: the bridge reports each pod's status
     * about once a second, and a request before that would be refused (no routable pod).
     *
     * @return false if that did not happen within {@code timeout}
     */
    public boolean awaitRoutable(int pods, Duration timeout) throws InterruptedException {
        return router.awaitRoutable(services, pods, timeout);
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
        try {
            RouterClient.Answer answer;
            try {
                answer = router.route(service, user, r.tokens(), r.lora());
            } catch (java.io.IOException e) {
                stats.failed(e.getMessage());
                return;
            }
            String podName = answer.pod();
            SimPod pod = fleet.pod(podName);
            int promptBlocks = r.tokens().length / BLOCK_SIZE;
            ServedPrompt served = pod.serveCounted(0, r.tokens(), r.lora());
            int cached = served.hitBlocks();
            stats.served(podName, answer.latencyNanos(), promptBlocks, cached, answer.sticky());
            hold(pod, served.cacheableBlocks(), (long) ((promptBlocks - cached) * PREFILL_MS_PER_BLOCK + DECODE_MS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            stats.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * The pod reports one more running request, holding its prompt's blocks (its KV usage), until the simulated
     * prefill and decode are over.
     */
    private void hold(SimPod pod, int promptBlocks, long millis) {
        pod.beginRequest(0, promptBlocks);
        Runnable release = new Runnable() {
            @Override
            public void run() {
                if (unreleased.remove(this)) { // once: on time, or at close
                    pod.endRequest(0, promptBlocks);
                }
            }
        };
        unreleased.add(release);
        try {
            pool.schedule(release, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            release.run(); // closing
        }
    }

    @Override
    public void close() {
        // Requests under way finish (an interrupt inside a pod's ZeroMQ send would count as a failed request); the
        // rate stops, and requests' scheduled ends are run below instead of waited for.
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Requests whose end was still scheduled: end them now, or the pods would report them running forever
            // (demo --keep-running leaves the pods up for trying the API by hand).
            List.copyOf(unreleased).forEach(Runnable::run);
        }
    }
}
