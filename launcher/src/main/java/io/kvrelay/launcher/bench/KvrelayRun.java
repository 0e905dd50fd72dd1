package io.kvrelay.launcher.bench;

import io.kvrelay.launcher.client.FrontDoorClient;
import io.kvrelay.launcher.client.RouterClient;
import io.kvrelay.launcher.demo.DemoPipeline;
import io.kvrelay.policies.Percentile;
import io.kvrelay.policies.ServiceModel;
import io.kvrelay.policies.SimulatedPod;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.sim.ServedPrompt;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.serving.TimeModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The full kvrelay policy, in real time on the real pipeline ({@link DemoPipeline}: broker, Redis, simulated pods over
 * ZeroMQ, bridge, stream-app, router). One dispatcher thread takes the stream in order: it waits for each request's
 * arrival time, asks the router over HTTP, serves the prompt on the chosen pod (its cache changes and it publishes
 * the KV events that flow back into the index), and charges the {@link ServiceModel}'s timing with the scheduled
 * arrival time, exactly as the in-process runs do. The pod reports the request as running, and its prompt's blocks as
 * used KV cache, until its modelled finish, as the in-process pods do ({@link SimulatedPod}): the load the router sees
 * through the bridge's {@code /metrics} scrape.
 */
public final class KvrelayRun {
    static final String NAMESPACE = "bench";
    /** Every how many served requests with new blocks a freshness probe is offered. */
    private static final int FRESHNESS_EVERY = 3;

    private KvrelayRun() {
    }

    /** The served requests and the pipeline-only figures. */
    public record Outcome(List<Served> served, PolicyResult.KvrelayExtras extras) {
    }

    /**
     * @param cost    the routers' cost model
     * @param routers router replicas; request i goes to replica i mod routers
     */
    public static Outcome run(WorkloadSpec spec, List<BenchRequest> stream, FleetLayout layout, ServiceModel model,
                              CostModel cost, int routers, Path workDir, Consumer<String> progress)
            throws IOException, InterruptedException {
        return run(spec, stream, layout, model, cost, routers, false, workDir, progress);
    }

    /**
     * @param frontDoor requests go through the routers' OpenAI front door ({@code POST /v1/completions} with the
     *                  prompt's token ids, streamed) and are served by the pods' own engines, timed like the model;
     *                  TTFT and finish are then measured at the client instead of modelled
     */
    public static Outcome run(WorkloadSpec spec, List<BenchRequest> stream, FleetLayout layout, ServiceModel model,
                              CostModel cost, int routers, boolean frontDoor, Path workDir, Consumer<String> progress)
            throws IOException, InterruptedException {
        // The pods' engines take the model's times (its fixed overhead has no counterpart there).
        TimeModel engine = new TimeModel(model.prefillMsPerBlock(), model.decodeMsPerToken(),
                TimeModel.defaults().maxRunning());
        DemoPipeline.Settings settings = new DemoPipeline.Settings(workDir, NAMESPACE, spec.services(),
                spec.podsPerService(), spec.capacityBlocks(), DemoPipeline.Ports.any(), "bench-token", "kvrelay-bench",
                routers, cost, engine);
        try (DemoPipeline pipeline = new DemoPipeline(settings, step -> progress.accept("  " + step + " ..."));
             FreshnessProbe freshness = new FreshnessProbe(pipeline.stream().httpPort(), NAMESPACE)) {
            List<RouterClient> clients = new ArrayList<>();
            for (RouterApp r : pipeline.routers()) {
                RouterClient client = new RouterClient(r.port(), NAMESPACE);
                if (!client.awaitRoutable(spec.services(), spec.podsPerService(), Duration.ofSeconds(180))) {
                    throw new IOException("not every pod became routable within 180 s; see the log");
                }
                clients.add(client);
            }
            progress.accept("  pipeline ready; replaying " + stream.size() + " requests in real time ("
                    + stream.get(stream.size() - 1).arrivalMs() / 1000 + " s)");
            Outcome o = frontDoor ? throughFrontDoor(stream, layout, pipeline)
                    : dispatch(stream, layout, model, pipeline, clients, freshness);
            if (clients.size() > 1) {
                for (RouterApp r : pipeline.routers()) {
                    io.micrometer.core.instrument.Timer lag = r.registry()
                            .find("kvrelay.router.inflight.shared.lag").timer();
                    if (lag != null) {
                        progress.accept(String.format(java.util.Locale.ROOT, "  router on port %d counted %d "
                                + "decisions of the other replicas, %.1f ms after they were taken on average (max "
                                + "%.0f ms)", r.port(), lag.count(), lag.mean(java.util.concurrent.TimeUnit.MILLISECONDS),
                                lag.max(java.util.concurrent.TimeUnit.MILLISECONDS)));
                    }
                }
            }
            return o;
        }
    }

    /**
     * Each request at its arrival time to a router's front door (replica i mod routers), served by the pod's engine;
     * what the client sees is what is charged: the first token and the end, from the scheduled arrival, and the
     * cached tokens the pod reports.
     */
    private static Outcome throughFrontDoor(List<BenchRequest> stream, FleetLayout layout, DemoPipeline pipeline)
            throws InterruptedException {
        List<FrontDoorClient> doors = new ArrayList<>();
        for (RouterApp r : pipeline.routers()) {
            doors.add(new FrontDoorClient(r.port()));
        }
        List<Served> served = java.util.Collections.synchronizedList(new ArrayList<>(stream.size()));
        List<Double> lagMs = new ArrayList<>(stream.size());
        java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong sticky = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong withoutIndex = new java.util.concurrent.atomic.AtomicLong();
        List<java.util.concurrent.CompletableFuture<?>> pending = new ArrayList<>(stream.size());
        long start = System.nanoTime();
        for (BenchRequest r : stream) {
            long due = start + (long) (r.arrivalMs() * 1e6);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long sent = System.nanoTime();
            lagMs.add(Math.max(0, sent - due) / 1e6);
            pending.add(doors.get(r.index() % doors.size()).complete(r.service(), r.userId(), r.tokens(),
                    Math.max(1, r.outputTokens())).whenComplete((a, e) -> {
                        if (e != null) {
                            failures.incrementAndGet();
                            return;
                        }
                        int blockSize = r.promptBlocks() == 0 ? 16 : Math.max(1, r.tokens().length / r.promptBlocks());
                        int hit = Math.min(r.promptBlocks(), a.cachedTokens() / blockSize);
                        sticky.addAndGet(a.reason().startsWith("sticky") ? 1 : 0);
                        withoutIndex.addAndGet(a.reason().contains("without-index") ? 1 : 0);
                        double late = (sent - due) / 1e6;
                        served.add(new Served(r.index(), layout.indexOf(a.pod()), r.arrivalMs(), r.promptBlocks(), hit,
                                late + a.ttftNanos() / 1e6, r.arrivalMs() + late + a.totalNanos() / 1e6));
                    }));
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(pending.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(10, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // counted per request above
        }
        List<Served> done = new ArrayList<>(served);
        done.sort(java.util.Comparator.comparingInt(Served::request));
        // The front door does not report its decision time apart from the answer: no router latency here.
        return new Outcome(done, new PolicyResult.KvrelayExtras(Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN, 0,
                Percentile.of(lagMs, 0.99), failures.get(),
                done.isEmpty() ? Double.NaN : (double) sticky.get() / done.size(),
                done.isEmpty() ? Double.NaN : (double) withoutIndex.get() / done.size()));
    }

    private static Outcome dispatch(List<BenchRequest> stream, FleetLayout layout, ServiceModel model,
                                    DemoPipeline pipeline, List<RouterClient> routers, FreshnessProbe freshness)
            throws InterruptedException {
        ScheduledExecutorService ends = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-request-end");
            t.setDaemon(true);
            return t;
        });
        ServiceModel.PrefillQueues queues = model.queues(layout.pods());
        List<Served> served = new ArrayList<>(stream.size());
        List<Double> routerMs = new ArrayList<>(stream.size());
        List<Double> lagMs = new ArrayList<>(stream.size());
        long failures = 0;
        long sticky = 0;
        long withoutIndex = 0;
        int withNewBlocks = 0;
        long start = System.nanoTime();
        try {
            for (BenchRequest r : stream) {
                long due = start + (long) (r.arrivalMs() * 1e6);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                lagMs.add(Math.max(0, System.nanoTime() - due) / 1e6);
                RouterClient.Answer answer;
                try {
                    answer = routers.get(r.index() % routers.size()).route(r.service(), r.userId(), r.tokens(),
                            r.lora());
                } catch (IOException e) {
                    failures++;
                    continue;
                }
                routerMs.add(answer.latencyNanos() / 1e6);
                sticky += answer.sticky() ? 1 : 0;
                withoutIndex += answer.indexAvailable() ? 0 : 1;
                int podIndex = layout.indexOf(answer.pod());
                SimPod pod = pipeline.fleet().pod(answer.pod());
                ServedPrompt servedPrompt = pod.serveCounted(0, r.tokens(), r.lora());
                long publishedNanos = System.nanoTime();
                int stored = servedPrompt.storedBlocks();
                int cacheable = servedPrompt.cacheableBlocks();
                int hit = servedPrompt.hitBlocks();
                if (stored > 0 && withNewBlocks++ % FRESHNESS_EVERY == 0) {
                    freshness.offer(r, answer.pod(), cacheable, publishedNanos);
                }
                ServiceModel.Timing t = queues.admit(podIndex, r.arrivalMs(), r.promptBlocks() - hit,
                        r.outputTokens());
                // Running until its modelled finish, holding its prompt's blocks (the pod's KV usage) meanwhile.
                pod.beginRequest(0, cacheable);
                long endIn = start + (long) (t.finishMs() * 1e6) - System.nanoTime();
                ends.schedule(() -> pod.endRequest(0, cacheable), Math.max(0, endIn), TimeUnit.NANOSECONDS);
                served.add(new Served(r.index(), podIndex, r.arrivalMs(), r.promptBlocks(), hit, t.ttftMs(),
                        t.finishMs()));
            }
        } finally {
            ends.shutdownNow();
        }
        List<Double> fresh = freshness.samples();
        return new Outcome(served, new PolicyResult.KvrelayExtras(Percentile.of(routerMs, 0.5),
                Percentile.of(routerMs, 0.99), fresh.size(), Percentile.of(fresh, 0.5), Percentile.of(fresh, 0.99),
                freshness.timeouts(), Percentile.of(lagMs, 0.99), failures,
                served.isEmpty() ? Double.NaN : (double) sticky / served.size(),
                served.isEmpty() ? Double.NaN : (double) withoutIndex / served.size()));
    }
}
