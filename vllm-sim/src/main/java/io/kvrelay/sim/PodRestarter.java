package io.kvrelay.sim;

import io.kvrelay.sim.zmq.KvEventPublisher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Restarts every rank of a pod as a {@link RestartPlan} says; one restart at a time per pod. */
final class PodRestarter {
    private static final Logger LOG = LoggerFactory.getLogger(PodRestarter.class);

    private final String podId;
    private final List<SimWorker> workers;
    private final Function<SimWorker, KvEventPublisher> rebind;

    /** {@code rebind} binds a worker's ports again with a new publisher (epoch + 1, same log), or throws if closed. */
    PodRestarter(String podId, List<SimWorker> workers, Function<SimWorker, KvEventPublisher> rebind) {
        this.podId = podId;
        this.workers = workers;
        this.rebind = rebind;
    }

    synchronized void restart(RestartPlan plan) {
        if (plan.keepsSockets()) {
            for (SimWorker w : workers) {
                w.restartInPlace(plan.burst());
            }
            return;
        }
        for (SimWorker w : workers) {
            w.goDown();
        }
        LOG.info("pod {} down for {} ms", podId, plan.downtime().toMillis());
        sleep(plan.downtime());
        for (SimWorker w : workers) {
            w.comeUp(rebind.apply(w), plan.burst());
        }
        LOG.info("pod {} up again, burst of {} batches published per rank", podId, plan.burst());
    }

    CompletableFuture<Void> restartAsync(RestartPlan plan) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                restart(plan);
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "kvsim-restart-" + podId);
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a restart's downtime", e);
        }
    }
}
